package dev.portcullis.user;

import dev.portcullis.http.Fields;
import dev.portcullis.http.QueryParams;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** One page of a list and the cursor of the next page (null on the last). Every list takes limit 1–500. */
public record Page<T>(List<T> items, String nextCursor) {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;

  /** Rows of a query run with {@code LIMIT limit + 1}: the extra row only tells that there is a next page. */
  public static <T> Page<T> of(RowSet<Row> rows, int limit, Function<Row, T> mapper, Function<T, String> cursorAfter) {
    List<T> items = new ArrayList<>(rows.size());
    rows.forEach(row -> items.add(mapper.apply(row)));
    if (items.size() <= limit) {
      return new Page<>(items, null);
    }
    List<T> page = List.copyOf(items.subList(0, limit));
    return new Page<>(page, cursorAfter.apply(page.get(limit - 1)));
  }

  /** {@code {<field>: [...], next_cursor}}. */
  public JsonObject toJson(String field, Function<T, JsonObject> json) {
    JsonArray array = new JsonArray();
    items.forEach(item -> array.add(json.apply(item)));
    return new JsonObject().put(field, array).put("next_cursor", nextCursor);
  }

  /** The {@code limit} query parameter: 1 to {@link #MAX_LIMIT}, {@link #DEFAULT_LIMIT} when absent. */
  public static int limit(RoutingContext ctx) {
    return Fields.pageLimit(QueryParams.of(ctx).get("limit"), DEFAULT_LIMIT, MAX_LIMIT);
  }
}
