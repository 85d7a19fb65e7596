package dev.portcullis.audit;

import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ApiContext;
import io.vertx.ext.web.Router;

/** {@code GET /v1/apps/{app_id}/audit} and {@code /audit/verify} (see issue 6). */
public final class AuditApi {

  private final ApiContext api;
  private final AdminAuth adminAuth;

  public AuditApi(ApiContext api, AdminAuth adminAuth) {
    this.api = api;
    this.adminAuth = adminAuth;
  }

  public void mount(Router router) {
    // routes come with issue 6
  }
}
