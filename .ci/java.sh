# Sourced by .ci/run, bench/run.sh, bench/classlist.sh and chaos/run.sh: the build targets Java 25 (the gateway
# signs with OpenSSL through the foreign function API, final since Java 22), so JAVA_HOME must be a JDK 25 or
# newer. Keeps a JAVA_HOME that is one; else takes Temurin 25 where these machines have it.
java_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(java_feature "$JAVA_HOME")" -lt 25 ]; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk; do
    if [ -x "$candidate/bin/java" ]; then
      export JAVA_HOME=$candidate
      break
    fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(java_feature "$JAVA_HOME")" -lt 25 ]; then
  echo "Java 25 or newer is needed: set JAVA_HOME to a JDK 25" >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8's own Guava calls sun.misc.Unsafe, which Java 24+ warns about on every build: allowed for Maven only.
case " ${MAVEN_OPTS:-} " in
  *" --sun-misc-unsafe-memory-access="*) ;;
  *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
esac
