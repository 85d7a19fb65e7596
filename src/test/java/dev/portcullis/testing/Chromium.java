package dev.portcullis.testing;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, driven by Selenium through chromedriver, for the real-browser tests: headless, a fresh profile
 * per driver, JavaScript on or off, and the few things a test does with a form.
 */
public final class Chromium {

  private static final List<String> BINARIES = List.of("/usr/lib/chromium/chromium", "/usr/bin/chromium");
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

  private Chromium() {
  }

  /** Skips the test without a browser here, except in CI (CI=true), where it fails. */
  public static void require() {
    boolean present = BINARIES.stream().anyMatch(path -> new File(path).canExecute())
        && new File(CHROMEDRIVER).canExecute();
    if (!present) {
      String message = "no Chromium and chromedriver here (apt-get install chromium chromium-driver)";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(message + ": in CI the browser test must run, not skip");
      }
      Assumptions.abort(message);
    }
  }

  public static WebDriver start(boolean javascript) throws Exception {
    Path profile = TempDirs.create("portcullis-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BINARIES.stream().filter(path -> new File(path).canExecute()).findFirst().orElseThrow());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile);
    if (!javascript) {
      options.setExperimentalOption("prefs", Map.of("profile.managed_default_content_settings.javascript", 2));
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }

  public static void fill(WebDriver driver, String name, String value) {
    WebElement input = driver.findElement(By.name(name));
    input.clear();
    input.sendKeys(value);
  }

  public static void submit(WebDriver driver) {
    driver.findElement(By.cssSelector("form button[type=submit]")).click();
  }

  /** Waits until the page has an input of that name. */
  public static void awaitInput(WebDriver driver, String name) {
    Await.until("input " + name + " on " + driver.getCurrentUrl(), Duration.ofSeconds(15),
        () -> !driver.findElements(By.name(name)).isEmpty());
  }
}
