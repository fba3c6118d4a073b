// Faces through the whole pipeline: the astronaut (astronaut.png) composited into
// vtest.avi by ffmpeg, walking across the street; served by xl-camsim, analysed by
// xl-ingest with each detector, alerts through the router to a console.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

TEST(Faces, AFaceWalkingThroughTheStreetReachesTheConsoleWithBoxAndCrop) {
  System sys("faces");
  const std::string clip = sys.dir() + "/astronaut_walk.mp4";
  // From 8 s on, the astronaut (240 px) moves left to right across the lower street.
  const std::string cmd = "ffmpeg -v error -y -i '" + Fixture("vtest.avi") + "' -loop 1 -i '" +
                          Fixture("astronaut.png") +
                          "' -filter_complex \"[1:v]scale=240:240[a];[0:v][a]overlay=x='40+(t-8)*25':y=300:"
                          "enable='gte(t,8)':shortest=1,format=yuv420p\" -t 30 -c:v libx264 -preset ultrafast "
                          "-g 20 -bf 0 -an '" +
                          clip + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto camsim = sys.StartCamsim({"walk=" + clip});
  auto router = sys.StartRouter();
  const std::string ids[] = {"33010201001320000051", "33010201001320000052"};
  std::string cams = "cameras:\n";
  for (int i = 0; i < 2; ++i) {
    const bool dnn = i == 0;
    cams += "  - id: \"" + ids[i] + "\"\n    name: 人脸" + std::to_string(i) + "\n    url: " + sys.RtspUrl("walk") +
            "\n    username: " + kCamUser + "\n    password: " + kCamPassword +
            "\n    analysis: {height: 576}\n    faults: {enabled: false}\n    faces: {enabled: true, detector: " +
            (dnn ? "dnn, model: " + Fixture("blazeface_front_128.onnx")
                 : std::string("cascade, model: /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")) +
            "}\n";
  }
  auto console = sys.StartConsole("console.log");
  auto worker = sys.StartWorker("w1", cams);
  auto faces = [&](const std::string& camera) {
    std::vector<json> out;
    for (const std::string& line : console->Lines()) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "alert" && j["kind"] == "face" && j["camera"] == camera &&
          j["phase"] == "start") {
        out.push_back(j);
      }
    }
    return out;
  };
  for (const std::string& id : ids) {
    ASSERT_TRUE(WaitUntil([&] { return !faces(id).empty(); }, seconds(90))) << id << "\n" << worker->Output();
    const json start = faces(id).front();
    EXPECT_GT(start["boxes"].get<int>(), 0);
    EXPECT_GT(start["crop_bytes"].get<int>(), 0);
    EXPECT_GT(start["snapshot_bytes"].get<int>(), 0);
  }
}

}  // namespace
}  // namespace xl::test
