#include <librdkafka/rdkafka.h>
#include "CKafkaShims.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int lf_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                               const void *key, size_t key_len,
                               const void *value, size_t value_len,
                               rd_kafka_headers_t *headers, int64_t timestamp_ms,
                               void *opaque) {
    if (headers != NULL) {
        return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key, key_len),
                                 RD_KAFKA_V_VALUE((void *)value, value_len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                                 RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque),
                                 RD_KAFKA_V_END);
    }
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void lf_reference_consume(const char *bootstrap, const char *group, const char *topic,
                          const char *const *keys, const char *const *values, int count,
                          int64_t expected, int timeout_ms, lf_reference_result *out) {
    char errstr[256];
    memset(out, 0, sizeof(*out));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr))) {
        snprintf(out->error, sizeof(out->error), "%s", errstr);
        rd_kafka_conf_destroy(conf);
        return;
    }
    for (int i = 0; i < count; i++) {
        if (rd_kafka_conf_set(conf, keys[i], values[i], errstr, sizeof(errstr))) {
            snprintf(out->error, sizeof(out->error), "%s", errstr);
            rd_kafka_conf_destroy(conf);
            return;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        snprintf(out->error, sizeof(out->error), "%s", errstr);
        return;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(out->error, sizeof(out->error), "subscribe: %s", rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return;
    }
    double deadline = now_seconds() + timeout_ms / 1000.0;
    double first = 0, last = 0;
    while (out->messages < expected && now_seconds() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m == NULL) continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (out->messages == 0) first = now_seconds();
            out->messages++;
            out->bytes += (int64_t)m->len;
            last = now_seconds();
        }
        rd_kafka_message_destroy(m);
    }
    out->seconds = last - first;
    if (out->messages < expected)
        snprintf(out->error, sizeof(out->error), "timed out after %lld of %lld messages",
                 (long long)out->messages, (long long)expected);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}
