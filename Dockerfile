# Portcullis container image.
#   docker build -t portcullis:0.1.0 .
#   docker run --rm -p 8080:8080 -p 9090:9090 -e PORTCULLIS_PG_URL=... -e PORTCULLIS_REDIS_URL=... \
#     -e PORTCULLIS_MASTER_KEY=... portcullis:0.1.0

# ---- build stage --------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build

# Dependencies first: this layer is only rebuilt when pom.xml changes, not on every source edit.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline

COPY src ./src
COPY conf ./conf
RUN mvn -B -DskipTests package

# ---- runtime stage ------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre

# A fixed numeric uid/gid, so Kubernetes can check runAsNonRoot without resolving names.
RUN groupadd --system --gid 10001 portcullis \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin portcullis

# The application reads conf/portcullis.yaml relative to the working directory.
WORKDIR /app
# Owned by root and only readable by the app user: the root filesystem can be mounted read-only.
COPY --from=build /build/target/portcullis.jar /app/portcullis.jar
COPY --from=build /build/conf /app/conf

USER 10001:10001

# 8080: public API (PORTCULLIS_HTTP_PORT); 9090: /health/* and /metrics (PORTCULLIS_MANAGEMENT_PORT).
EXPOSE 8080 9090

# Flags are in the ENTRYPOINT so that overriding JAVA_TOOL_OPTIONS (for extra flags) cannot drop them.
# - MaxRAMPercentage: size the heap from the container memory limit, leaving room for metaspace,
#   thread stacks and Netty's direct buffers.
# - UseG1GC: below 2 CPUs / 1792 MB the JVM would otherwise pick the Serial collector.
# - ExitOnOutOfMemoryError: a pod in an unknown state is worse than a restarted one.
# - vertx.cacheDirBase: Vert.x writes a file cache; /tmp is the only writable path (an emptyDir in k8s).
# Exec form: java is PID 1 and receives SIGTERM directly, which triggers the graceful shutdown.
ENTRYPOINT ["java", \
  "-XX:MaxRAMPercentage=75", \
  "-XX:+UseG1GC", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-Dvertx.cacheDirBase=/tmp/vertx-cache", \
  "-jar", "/app/portcullis.jar"]
