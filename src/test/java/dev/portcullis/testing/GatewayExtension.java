package dev.portcullis.testing;

import io.vertx.core.json.JsonObject;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A test class's gateway: started before its first test on a fresh database and Redis prefix (see
 * {@link TestGateway}), stopped after its last, with what the class asks for around it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayExtension env = GatewayExtension.create().webhook().auditTap();
 *
 * static TestGateway gateway;      // set before @BeforeAll methods run
 * static WebhookReceiver receiver; // the webhook capture, both OTP channels point at it
 * static AuditTap audit;           // every audit event the gateway sends
 * }</pre>
 *
 * <p>Static fields of the test class are set by type, as JUnit's {@code @TempDir} does: {@link TestGateway}
 * (a field named {@code sibling} gets the {@link #sibling()} process), {@link WebhookReceiver},
 * {@link AuditTap} and {@link Http}. Test methods may take the same types as parameters instead (a
 * {@link TestGateway} parameter is the first gateway; the sibling comes only through its field).
 */
public final class GatewayExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private final List<Supplier<JsonObject>> config = new ArrayList<>();
  private boolean withWebhook;
  private boolean withSibling;
  private boolean withAuditTap;

  private WebhookReceiver receiver;
  private TestGateway gateway;
  private TestGateway sibling;
  private AuditTap audit;

  private GatewayExtension() {
  }

  public static GatewayExtension create() {
    return new GatewayExtension();
  }

  /** A configuration key for this class's gateway (over TestGateway's defaults). */
  public GatewayExtension config(String key, Object value) {
    return config(new JsonObject().put(key, value));
  }

  public GatewayExtension config(JsonObject values) {
    JsonObject copy = values.copy();
    return config(() -> copy);
  }

  /** Configuration known only when the class starts (a port of a server the class started). */
  public GatewayExtension config(Supplier<JsonObject> values) {
    config.add(values);
    return this;
  }

  /** A {@link WebhookReceiver} that both OTP channels deliver to, so tests can read the codes. */
  public GatewayExtension webhook() {
    withWebhook = true;
    return this;
  }

  /** A second gateway process on the same database, Redis and keys, as a second pod would be. */
  public GatewayExtension sibling() {
    withSibling = true;
    return this;
  }

  /** An {@link AuditTap} on the (first) gateway. */
  public GatewayExtension auditTap() {
    withAuditTap = true;
    return this;
  }

  public TestGateway gateway() {
    return gateway;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    JsonObject settings = new JsonObject();
    if (withWebhook) {
      receiver = new WebhookReceiver();
      settings.mergeIn(receiver.channels());
    }
    config.forEach(values -> settings.mergeIn(values.get()));
    gateway = TestGateway.start(settings);
    if (withSibling) {
      sibling = gateway.sibling();
    }
    if (withAuditTap) {
      audit = new AuditTap(gateway);
    }
    inject(context.getRequiredTestClass());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeAll(audit, sibling, gateway, receiver);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestGateway.class || type == WebhookReceiver.class || type == AuditTap.class || type == Http.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    // By type only: parameter names are not kept in the class files, so a parameter gets the first gateway.
    return component(parameter.getParameter().getType(), "");
  }

  private void inject(Class<?> testClass) throws IllegalAccessException {
    for (Field field : testClass.getDeclaredFields()) {
      int modifiers = field.getModifiers();
      if (!Modifier.isStatic(modifiers) || Modifier.isFinal(modifiers) || !supports(field.getType())) {
        continue;
      }
      field.setAccessible(true);
      field.set(null, component(field.getType(), field.getName()));
    }
  }

  private static boolean supports(Class<?> type) {
    return type == TestGateway.class || type == WebhookReceiver.class || type == AuditTap.class || type == Http.class;
  }

  private Object component(Class<?> type, String name) {
    Object component;
    String missing;
    if (type == TestGateway.class && "sibling".equals(name)) {
      component = sibling;
      missing = "sibling()";
    } else if (type == TestGateway.class) {
      component = gateway;
      missing = null;
    } else if (type == WebhookReceiver.class) {
      component = receiver;
      missing = "webhook()";
    } else if (type == AuditTap.class) {
      component = audit;
      missing = "auditTap()";
    } else {
      component = gateway.http();
      missing = null;
    }
    if (component == null) {
      throw new IllegalStateException("the test asks for a " + type.getSimpleName() + " '" + name
          + "': register the extension with ." + missing);
    }
    return component;
  }

  /** Closes each, even when one before it fails; the first failure is rethrown with the others suppressed. */
  private static void closeAll(AutoCloseable... resources) {
    RuntimeException failure = null;
    for (AutoCloseable resource : resources) {
      if (resource == null) {
        continue;
      }
      try {
        resource.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing the test gateway failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
