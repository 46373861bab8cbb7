// A producer and reader rxq's tests did not write: Kafka's own Java client, compiled by
// `scripts/kafka.sh java` against the fetched Kafka jars.
//
//   tx TOPIC PLAN          transactional producer; PLAN like "c5,a3,c2": commit 5, abort 3, commit 2.
//                          Values: {"tx":i,"n":j,"committed":true|false}. Prints "committed N".
//   headers TOPIC          one record, key bytes ff 00 6b, value {"n":1}, headers: bin = ff 00 fe 80,
//                          rep = "one", rep = "two", text = "héllo", empty = "", nul = null.
//   dump TOPIC N           reads N records from the beginning and prints one JSON line each:
//                          key, value and headers [[name, hex|null], ...] in record order, as hex.
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.*;

public class RxqKafkaTool {
  static String bootstrap() {
    return System.getenv().getOrDefault("RXQ_KAFKA_BOOTSTRAP", "127.0.0.1:" + System.getenv().getOrDefault("RXQ_KAFKA_PORT", "9092"));
  }

  static KafkaProducer<byte[], byte[]> producer(Properties extra) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putAll(extra);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

  static String hex(byte[] b) {
    if (b == null) return "null";
    StringBuilder sb = new StringBuilder("\"");
    for (byte x : b) sb.append(String.format("%02x", x & 0xff));
    return sb.append('"').toString();
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0], topic = args[1];
    switch (mode) {
      case "tx": {
        Properties extra = new Properties();
        extra.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "rxq-test-" + UUID.randomUUID());
        try (KafkaProducer<byte[], byte[]> p = producer(extra)) {
          p.initTransactions();
          int committed = 0, tx = 0;
          for (String step : args[2].split(",")) {
            boolean commit = step.charAt(0) == 'c';
            int n = Integer.parseInt(step.substring(1));
            p.beginTransaction();
            for (int j = 0; j < n; j++)
              p.send(new ProducerRecord<>(topic, null, utf8("{\"tx\":" + tx + ",\"n\":" + j + ",\"committed\":" + commit + "}")));
            p.flush();
            if (commit) { p.commitTransaction(); committed += n; } else p.abortTransaction();
            tx++;
          }
          System.out.println("committed " + committed);
        }
        break;
      }
      case "headers": {
        try (KafkaProducer<byte[], byte[]> p = producer(new Properties())) {
          List<Header> h = new ArrayList<>();
          h.add(new RecordHeader("bin", new byte[] {(byte) 0xff, 0x00, (byte) 0xfe, (byte) 0x80}));
          h.add(new RecordHeader("rep", utf8("one")));
          h.add(new RecordHeader("rep", utf8("two")));
          h.add(new RecordHeader("text", utf8("h\u00e9llo")));
          h.add(new RecordHeader("empty", new byte[0]));
          h.add(new RecordHeader("nul", null));
          p.send(new ProducerRecord<>(topic, null, new byte[] {(byte) 0xff, 0x00, 0x6b}, utf8("{\"n\":1}"), h)).get();
          System.out.println("sent 1");
        }
        break;
      }
      case "dump": {
        int n = Integer.parseInt(args[2]);
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "rxq-test-dump-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
          consumer.subscribe(List.of(topic));
          int seen = 0;
          long deadline = System.currentTimeMillis() + 30_000;
          while (seen < n && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
              if (seen >= n) break;
              StringBuilder sb = new StringBuilder("{\"key\":").append(hex(r.key())).append(",\"value\":").append(hex(r.value())).append(",\"headers\":[");
              boolean first = true;
              for (Header h : r.headers()) {
                if (!first) sb.append(',');
                first = false;
                sb.append("[\"").append(h.key().replace("\\", "\\\\").replace("\"", "\\\"")).append("\",").append(hex(h.value())).append(']');
              }
              System.out.println(sb.append("]}"));
              seen++;
            }
          }
          if (seen < n) { System.err.println("dump: only " + seen + " of " + n); System.exit(1); }
        }
        break;
      }
      default:
        System.err.println("unknown mode " + mode);
        System.exit(2);
    }
  }
}
