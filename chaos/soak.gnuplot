# Soak charts: gnuplot -e "dir='chaos/results/<run>'" chaos/soak.gnuplot
set terminal pngcairo size 900,420 font ",10"
set grid
set key top left
set xlabel "minutes"

set output dir."/soak-heap-after-gc.png"
set title "Heap after the once-a-minute full GC (MB): the live data"
set ylabel "MB"
set yrange [0:*]
plot dir."/soak-heap-a.dat" using 1:2 with linespoints pt 7 ps 0.4 title "gateway a (process uptime)", \
     dir."/soak-heap-b.dat" using 1:2 with linespoints pt 7 ps 0.4 title "gateway b (process uptime)"

set output dir."/soak-rss.png"
set title "Resident set size (MB), every 10 s"
set ylabel "MB"
plot dir."/soak-a.dat" using 1:2 with lines lw 2 title "gateway a", \
     dir."/soak-b.dat" using 1:2 with lines lw 2 title "gateway b"

set output dir."/soak-fds.png"
set title "Open file descriptors, every 10 s"
set ylabel "descriptors"
plot dir."/soak-a.dat" using 1:3 with lines lw 2 title "gateway a", \
     dir."/soak-b.dat" using 1:3 with lines lw 2 title "gateway b"
