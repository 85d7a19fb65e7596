# Portcullis container image.
#   docker build -t portcullis:0.1.0 .
#   docker run --rm -p 8080:8080 -p 9090:9090 -e PORTCULLIS_PG_URL=... -e PORTCULLIS_REDIS_URL=... \
#     -e PORTCULLIS_MASTER_KEY=... portcullis:0.1.0

# ---- build stage --------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /build

# Dependencies first: this layer is only rebuilt when pom.xml changes, not on every source edit.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline

COPY src ./src
COPY conf ./conf
RUN mvn -B -DskipTests package

# ---- runtime stage ------------------------------------------------------------------------------
FROM eclipse-temurin:25-jre

# Access tokens are signed by the system's OpenSSL 3 (token.Libcrypto), about three times the JDK's rate: the
# image must have libcrypto.so.3 (the base image's ca-certificates brings it), or the build stops here.
RUN ldconfig -p | grep -q 'libcrypto\.so\.3 ' || { echo "libcrypto.so.3 missing from the base image" >&2; exit 1; }

# A fixed numeric uid/gid, so Kubernetes can check runAsNonRoot without resolving names.
RUN groupadd --system --gid 10001 portcullis \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin portcullis

# The application reads conf/portcullis.yaml relative to the working directory.
WORKDIR /app
# Owned by root and only readable by the app user: the root filesystem can be mounted read-only.
COPY --from=build /build/target/portcullis.jar /app/portcullis.jar
COPY --from=build /build/conf /app/conf

# AppCDS: the classes a boot loads (src/main/cds/portcullis.classlist, made by bench/classlist.sh), parsed,
# verified and laid out once here, so each start maps them instead of loading ~7,000 classes from the jar:
# on the 2-core bench machine it cut the JVM's CPU time to ready by ~45% (5.2 to 2.9 s on a fresh database,
# 5.1 to 2.7 s on a restart) and its wall time by ~1 s. It is dumped in this stage because an archive only
# works with the JVM build that made it and the jar it was made from (same path, size and time); if either
# differs, the JVM says nothing and loads classes from the jar as before. bench/run.sh makes and uses its
# archive with the same command and flag. Costs ~55 MB of image.
COPY --from=build /build/src/main/cds/portcullis.classlist /tmp/portcullis.classlist
RUN java -XX:+UseG1GC -Xshare:dump -Xlog:cds=error -XX:SharedClassListFile=/tmp/portcullis.classlist \
      -XX:SharedArchiveFile=/app/portcullis.jsa -cp /app/portcullis.jar \
 && rm /tmp/portcullis.classlist

USER 10001:10001

# JSON log lines for log shippers; override with -e PORTCULLIS_LOG_FORMAT=text for reading by eye.
ENV PORTCULLIS_LOG_FORMAT=json

# 8080: public API (PORTCULLIS_HTTP_PORT); 9090: /health/* and /metrics (PORTCULLIS_MANAGEMENT_PORT).
EXPOSE 8080 9090

# Flags are in the ENTRYPOINT so that overriding JAVA_TOOL_OPTIONS (for extra flags) cannot drop them.
# - MaxRAMPercentage: size the heap from the container memory limit, leaving room for metaspace,
#   thread stacks and Netty's direct buffers.
# - UseG1GC: below 2 CPUs / 1792 MB the JVM would otherwise pick the Serial collector.
# - ExitOnOutOfMemoryError: a pod in an unknown state is worse than a restarted one.
# - vertx.cacheDirBase: Vert.x writes a file cache; /tmp is the only writable path (an emptyDir in k8s).
# - SharedArchiveFile: the AppCDS archive made above (read-only, mapped at start).
# Exec form: java is PID 1 and receives SIGTERM directly, which triggers the graceful shutdown.
ENTRYPOINT ["java", \
  "-XX:MaxRAMPercentage=75", \
  "-XX:+UseG1GC", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-XX:SharedArchiveFile=/app/portcullis.jsa", \
  "-Dvertx.cacheDirBase=/tmp/vertx-cache", \
  "-jar", "/app/portcullis.jar"]
