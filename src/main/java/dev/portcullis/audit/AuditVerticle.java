package dev.portcullis.audit;

import dev.portcullis.core.Bus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** Receives audit events and stores them (group commit, hash chain per app: see issue 6). */
public final class AuditVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return Bus.serve(vertx, Bus.AUDIT_RECORD, event -> Future.succeededFuture(new JsonObject().put("stored", false)))
        .completion();
  }
}
