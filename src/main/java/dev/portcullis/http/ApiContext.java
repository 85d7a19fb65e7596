package dev.portcullis.http;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/** What the route tables of one HTTP verticle share: clients and caches of that verticle alone. */
public record ApiContext(Vertx vertx, GatewayConfig config, Postgres pg, RedisStore redis, Bus bus, AuditLog audit,
                         MasterKey masterKey, AppRepository apps, AppDirectory appDirectory, MeterRegistry metrics) {
}
