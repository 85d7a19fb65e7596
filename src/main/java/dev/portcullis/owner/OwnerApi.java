package dev.portcullis.owner;

import dev.portcullis.http.ApiContext;
import io.vertx.ext.web.Router;

/** Owner sign-in: {@code /v1/owners/*} (see issue 3). */
public final class OwnerApi {

  private final ApiContext api;

  public OwnerApi(ApiContext api) {
    this.api = api;
  }

  public void mount(Router router) {
    // routes come with issue 3
  }
}
