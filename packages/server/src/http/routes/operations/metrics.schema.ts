/** Schema of GET /metrics. */

export const GetMetricsSchema = {
  tags: ["operations"],
  summary:
    "Prometheus metrics (text exposition format). With PORTCULLIS_METRICS_TOKEN: only with `Authorization: Bearer <token>`; otherwise on the metrics listener (PORTCULLIS_METRICS_PORT), or outside production to loopback clients; 404 to anyone else",
};
