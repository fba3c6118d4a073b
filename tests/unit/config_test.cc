#include "ingest/worker_config.h"
#include "proto/camera/camera_url.h"

#include <gtest/gtest.h>

#include <set>

namespace xl::ingest {
namespace {

constexpr const char* kGood = R"(worker:
  id: town-a
  router: tcp://10.0.0.1:5555
  video_nice: 5
defaults:
  analysis: {height: 480, fps: 4}
  motion: {threshold: 25}
cameras:
  - id: "33010201001320000011"
    name: 东村村口
    region: "3301020101"
    url: rtsp://admin:se:cret@192.168.1.64:554/Streaming/Channels/101
    zones:
      road: [[0, 0.3], [1, 0.3], [1, 0.8]]
    masks:
      - [[0, 0], [0.2, 0], [0.2, 0.1]]
    objects: {enabled: true, model: /models/centernet.onnx, alert_on: [person, truck], min_score: 0.5}
    motion: {algorithm: classic, busy_share: 0.3}
  - id: "33010202001320000012"
    name: 西村
    url: rtsp://192.168.1.65/live
    username: op
    password: pw
    enabled: false
    analysis: {fps: 2}
    motion: {enabled: false}
)";

TEST(Config, ParsesAFullFile) {
  auto r = ParseWorkerConfig(kGood, "good.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const WorkerConfig& w = *r;
  EXPECT_EQ(w.id, "town-a");
  EXPECT_EQ(w.router, "tcp://10.0.0.1:5555");
  EXPECT_EQ(w.video_nice, 5);
  ASSERT_EQ(w.cameras.size(), 2u);
  const CameraConfig& a = w.cameras[0];
  EXPECT_EQ(a.name, "东村村口");
  EXPECT_EQ(a.region, "3301020101");
  EXPECT_EQ(a.url, "rtsp://192.168.1.64:554/Streaming/Channels/101");
  EXPECT_EQ(a.username, "admin");
  EXPECT_EQ(a.password, "se:cret");
  EXPECT_EQ(a.analysis_height, 480);
  EXPECT_EQ(a.analysis_fps, 4);
  EXPECT_EQ(a.analytics.motion.threshold, 25);
  EXPECT_EQ(a.analytics.motion.algorithm, "classic");
  EXPECT_DOUBLE_EQ(a.analytics.motion.busy_share, 0.3);
  EXPECT_TRUE(a.analytics.objects.enabled);
  EXPECT_EQ(a.analytics.objects.model, "/models/centernet.onnx");
  EXPECT_EQ(a.analytics.objects.alert_on, (std::vector<std::string>{"person", "truck"}));
  EXPECT_DOUBLE_EQ(a.analytics.objects.min_score, 0.5);
  ASSERT_EQ(a.analytics.motion.zones.size(), 1u);
  EXPECT_EQ(a.analytics.motion.zones[0].name, "road");
  EXPECT_EQ(a.analytics.motion.masks.size(), 1u);
  EXPECT_EQ(a.line, 9);
  const CameraConfig& b = w.cameras[1];
  EXPECT_EQ(b.region, "33010202") << "region defaults to the town code in the ID";
  EXPECT_EQ(b.username, "op");
  EXPECT_EQ(b.password, "pw");
  EXPECT_FALSE(b.enabled);
  EXPECT_EQ(b.analysis_height, 480) << "defaults apply";
  EXPECT_EQ(b.analysis_fps, 2) << "the camera overrides";
  EXPECT_FALSE(b.analytics.motion_enabled);
}

TEST(Config, DefaultsWhenOmitted) {
  auto r = ParseWorkerConfig("cameras:\n  - {id: \"33010201001320000011\", name: a, url: \"rtsp://h/x\"}\n", "f");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const CameraConfig& c = r->cameras[0];
  EXPECT_EQ(c.analysis_height, 360);
  EXPECT_EQ(c.analysis_fps, 5);
  EXPECT_EQ(c.watchdog_s, 10);
  EXPECT_EQ(r->router, "tcp://127.0.0.1:5555");
  EXPECT_EQ(r->video_nice, 10) << "video gives way to the main loop";
}

TEST(Config, Clips) {
  auto r = ParseWorkerConfig(
      "worker: {clips: {dir: /var/lib/xueliang/clips, max_size_mb: 2000, max_age_days: 7}, http_address: "
      "10.3.0.7}\n"
      "defaults: {clips: {pre_s: 3, post_s: 8}}\n"
      "cameras:\n  - {id: \"33010201001320000011\", name: a, url: \"rtsp://h/x\", clips: {max_s: 60}}\n"
      "  - {id: \"33010201001320000012\", name: b, url: \"rtsp://h/y\", clips: {enabled: false}}\n",
      "f");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->clips.dir, "/var/lib/xueliang/clips");
  EXPECT_EQ(r->http_address, "10.3.0.7");
  EXPECT_EQ(r->clips.max_bytes, int64_t(2000) * 1000 * 1000);
  EXPECT_EQ(r->clips.max_age_ms, int64_t(7) * 86400000);
  const ClipConfig& a = r->cameras[0].clips;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.pre_ms, 3000);
  EXPECT_EQ(a.post_ms, 8000);
  EXPECT_EQ(a.max_ms, 60000);
  EXPECT_FALSE(r->cameras[1].clips.enabled);
  EXPECT_EQ(r->cameras[1].clips.pre_ms, 3000) << "defaults apply";

  auto plain = ParseWorkerConfig("cameras: []\n", "f");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->clips.dir, "") << "no clips unless a folder is given";
}

void ExpectError(const std::string& yaml, const std::string& expected) {
  auto r = ParseWorkerConfig(yaml, "cfg.yaml");
  ASSERT_FALSE(r.ok()) << "accepted:\n" << yaml;
  EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
}

const std::string kHead = "cameras:\n  - id: \"33010201001320000011\"\n    name: a\n";

TEST(Config, RefusesBadInputWithFileAndLine) {
  ExpectError("cameras:\n  - id: \"123\"\n    name: a\n    url: rtsp://h/x\n", "cfg.yaml:2: camera id '123'");
  ExpectError(kHead + "    url: rtsp://h/x\n    fsp: 5\n", "cfg.yaml:5: unknown key 'fsp' in camera");
  ExpectError(kHead + "    url: http://h/x\n", "cfg.yaml:4: 'url' must start with rtsp://");
  ExpectError(kHead + "    url: rtsp://\n", "cfg.yaml:4: 'url' has no valid host");
  ExpectError(kHead + "    url: rtsp://h/x\n    analysis: {height: 361}\n", "cfg.yaml:5: 'height' must be even");
  ExpectError(kHead + "    url: rtsp://h/x\n    analysis: {fps: fast}\n", "cfg.yaml:5: 'fps' must be a number");
  ExpectError(kHead + "    url: rtsp://h/x\n    motion: {treshold: 3}\n", "unknown key 'treshold' in motion");
  ExpectError(kHead + "    url: rtsp://h/x\n    motion: {algorithm: smart}\n",
              "'algorithm' must be adaptive or classic");
  ExpectError(kHead + "    url: rtsp://h/x\n    objects: {enabled: true}\n", "'model' is required");
  ExpectError(kHead + "    url: rtsp://h/x\n    objects: {model: m.onnx, alert_on: [person, ghost]}\n",
              "cfg.yaml:5: 'ghost' is not an object label");
  ExpectError(kHead + "    url: rtsp://h/x\n    objects: {model: m.onnx, alert_on: []}\n", "'alert_on' must be a list");
  ExpectError(kHead + "    url: rtsp://h/x\n    region: \"33\"\n", "cfg.yaml:5: region '33'");
  ExpectError(kHead + "    url: rtsp://h/x\n    zones: {a: [[0, 0], [2, 0], [1, 1]]}\n", "between 0 and 1");
  ExpectError(kHead + "    url: rtsp://h/x\n    masks: [[[0, 0], [1, 0]]]\n", "at least 3");
  ExpectError(kHead + "    url: rtsp://h/x\n" + kHead.substr(9) + "    url: rtsp://h/y\n", "listed twice");
  ExpectError("cameras:\n  - id: \"33010201001320000011\"\n    url: rtsp://h/x\n", "missing 'name'");
  ExpectError("worker: {router: 'http://x'}\ncameras: []\n", "'router' must be");
  ExpectError("worker: {video_nice: 20}\ncameras: []\n", "'video_nice' must be between 0 and 19");
  ExpectError("worker: {http_url: http://10.0.0.5:9100}\ncameras: []\n", "--worker-http ID=URL");
  ExpectError("camera:\n  - {}\n", "cfg.yaml:1: unknown key 'camera'");
  ExpectError("cameras: [\n", "cfg.yaml:");
  ExpectError("", "empty");
  ExpectError(kHead + "    url: rtsp://u:p@h/x\n    password: q\n", "both in 'url' and as username/password");
  ExpectError(kHead + "    url: rtsp://h/x\n    clips: {pre_s: 90}\n", "cfg.yaml:5: 'pre_s' must be between 0 and 60");
  ExpectError(kHead + "    url: rtsp://h/x\n    clips: {folder: x}\n", "unknown key 'folder' in clips");
  ExpectError("worker: {clips: {dir: x, max_size_mb: -1}}\ncameras: []\n", "'max_size_mb' must be between");
  ExpectError("worker: {clips: yes}\ncameras: []\n", "worker clips must be a mapping");
}

TEST(Config, NeverEchoesAPasswordInAnError) {
  auto r = ParseWorkerConfig(kHead + "    url: ftp://admin:TopSecret@h/x\n", "cfg.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("TopSecret"), std::string::npos) << r.error().message;
}

TEST(Config, RedactUrl) {
  EXPECT_EQ(camera::RedactUrl("rtsp://admin:pw@h:554/x"), "rtsp://admin:***@h:554/x");
  EXPECT_EQ(camera::RedactUrl("rtsp://h:554/x"), "rtsp://h:554/x");
  EXPECT_EQ(camera::RedactUrl("rtsp://h/x@y"), "rtsp://h/x@y");
  // Passwords with '@', '/' and ':' unescaped, as camera web pages let users type them.
  EXPECT_EQ(camera::RedactUrl("rtsp://admin:p@ss@h:554/x"), "rtsp://admin:***@h:554/x");
  EXPECT_EQ(camera::RedactUrl("rtsp://admin:pa/ss@h/x"), "rtsp://admin:***@h/x");
  EXPECT_EQ(camera::RedactUrl("rtsp://admin:a:b/c@d@10.0.0.1/ch1"), "rtsp://admin:***@10.0.0.1/ch1");
  EXPECT_EQ(camera::RedactUrl("rtsp://admin:@h/x"), "rtsp://admin:***@h/x");
}

TEST(Config, RedactSecretTerminatesForEveryPassword) {
  for (const std::string secret : {"*", "**", "***", "****", "a*", "p@ss/w"}) {
    const std::string text = "could not open rtsp://u:" + secret + "@h/ (" + secret + ")";
    const std::string out = camera::RedactSecret(text, secret);
    EXPECT_EQ(out, "could not open rtsp://u:***@h/ (***)") << secret;
  }
  EXPECT_EQ(camera::RedactSecret("abc", ""), "abc");
  EXPECT_EQ(camera::RedactSecret("pwpwpw", "pw"), "*********");
}

TEST(Config, MissingFileIsAClearError) {
  auto r = LoadWorkerConfig("/nonexistent/worker.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/worker.yaml: cannot open"), std::string::npos);
}

// The demo county the README brings up: 1 county, 2 towns, 4 village points, 8 cameras.
TEST(Config, DemoCountyIsValid) {
  auto config = LoadWorkerConfig(std::string(XL_SOURCE_DIR) + "/deploy/demo.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->cameras.size(), 8u);
  std::set<std::string> counties, towns, villages;
  for (const CameraConfig& c : config->cameras) {
    counties.insert(c.id.substr(0, 6));
    towns.insert(c.id.substr(0, 8));
    villages.insert(c.region);
    EXPECT_TRUE(c.region.starts_with(c.id.substr(0, 8))) << c.id;
  }
  EXPECT_EQ(counties.size(), 1u);
  EXPECT_EQ(towns.size(), 2u);
  EXPECT_EQ(villages.size(), 4u);
}

}  // namespace
}  // namespace xl::ingest
