// Objects through the whole pipeline: vtest.avi's walkers and tree.avi's swaying tree served
// by xl-camsim, analysed by xl-ingest with `objects: {alert_on: [person]}`, alerts through
// the router to a console.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

TEST(Objects, WalkersRaisePersonAlertsAndTheTreeNone) {
  System sys("objects");
  auto camsim = sys.StartCamsim({"street=" + Fixture("vtest.avi"), "tree=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  const std::string street = "33010201001320000061", tree = "33010201001320000062";
  std::string cams = "cameras:\n";
  for (const auto& [id, stream] : {std::pair{street, "street"}, std::pair{tree, "tree"}}) {
    cams += "  - id: \"" + id + "\"\n    name: " + stream + "\n    url: " + sys.RtspUrl(stream) +
            "\n    username: " + kCamUser + "\n    password: " + kCamPassword +
            "\n    faults: {enabled: false}\n    objects: {enabled: true, model: " + Fixture("centernet.onnx") +
            ", alert_on: [person]}\n";
  }
  auto console = sys.StartConsole("console.log");
  const int metrics_port = FreePort();
  auto worker = sys.StartWorker("w1", cams, metrics_port);
  auto alerts = [&](const std::string& camera) {
    std::vector<json> out;
    for (const std::string& line : console->Lines()) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "alert" && j["camera"] == camera) out.push_back(j);
    }
    return out;
  };
  auto person_starts = [&] {
    int n = 0;
    for (const json& a : alerts(street)) n += a["kind"] == "object" && a["phase"] == "start";
    return n;
  };
  ASSERT_TRUE(WaitUntil([&] { return person_starts() >= 1; }, seconds(120))) << worker->Output();
  const std::vector<json> seen = alerts(street);
  const auto start = std::find_if(seen.begin(), seen.end(), [](const json& a) { return a["phase"] == "start"; });
  ASSERT_NE(start, seen.end());
  EXPECT_EQ((*start)["kind"], "object");
  EXPECT_EQ((*start)["labels"], json::array({"person"}));
  ASSERT_FALSE((*start)["objects"].empty());
  for (const json& o : (*start)["objects"]) {
    EXPECT_EQ(o["label"], "person");
    EXPECT_GT(o["h"].get<int>(), o["w"].get<int>()) << "a walker's box stands upright: " << o;
  }
  EXPECT_GT((*start)["snapshot_bytes"].get<int>(), 0);
  EXPECT_GT((*start)["crop_bytes"].get<int>(), 0);
  for (const json& a : seen) EXPECT_EQ(a["kind"], "object") << "motion alone raised an alert: " << a;
  // The tree's whole clip (30 s, the hand at its end included) analysed at 5 fps, and more.
  EXPECT_TRUE(WaitUntil([&] { return CameraMetric(metrics_port, "xl_camera_frames_analysed_total", tree) > 35 * 5; },
                        seconds(120)));
  EXPECT_TRUE(alerts(tree).empty()) << alerts(tree).front();
}

}  // namespace
}  // namespace xl::test
