// GB/T 28181 upward (下级平台) with the real processes on loopback: a town's router reports to
// an upper platform — played by another system's worker, whose GB28181 platform takes lower
// platforms as it takes devices — and its router behind it, as the police platform would use
// our video:
//   - our router registers with the digest; the upper gets every camera in a catalog split
//     over several messages whose SumNum is right, and makes them cameras of its own;
//   - the upper INVITEs each camera and decodes the MPEG-PS it gets (H.264 and H.265, FFmpeg
//     through gst-libav) at the camera's size, over UDP and then over TCP;
//   - its BYE ends our call; its PTZ reaches the simulated device behind our worker;
//   - our alerts arrive there as Alarm notifies; `xl link ls` shows the link.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "tests/support/gb28181_devices.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

constexpr const char* kTownPlatform = "34020000002000000077";   // our router's SIP ID at the upper
constexpr const char* kUpperPlatform = "34020000002000000001";  // the upper worker's (StartGbWorker's default)

json Get(const std::string& url) {
  auto r = HttpCall("GET", url, "", "", 30, AsScraper());
  if (!r.ok() || r.value().status != 200) return json();
  return json::parse(r.value().body, nullptr, false);
}

// The device `id` as a worker's GB28181 platform on `http_port` shows it; null when absent.
json DeviceAt(int http_port, const std::string& id) {
  json all = Get("http://127.0.0.1:" + std::to_string(http_port) + "/gb28181/devices");
  if (all.is_object()) {
    for (const json& d : all["devices"]) {
      if (d["id"] == id) return d;
    }
  }
  return json();
}

json CameraAt(System& sys, const std::string& id) {
  auto r = sys.Api("GET", "/api/cameras/" + id);
  return r.ok() && r.value().status == 200 ? json::parse(r.value().body, nullptr, false) : json();
}

// A town — its router (reporting to the upper platform over `sip_transport`), its worker
// with a GB28181 endpoint, an NVR with an H.264 and an H.265 channel registered there — and
// the upper: a router and the worker whose GB28181 platform the town registers to.
struct TownUnderUpper {
  explicit TownUnderUpper(const std::string& name, const std::string& sip_transport)
      : town("gb-upward-town-" + name), upper("gb-upward-upper-" + name) {
    const std::string config = town.dir() + "/gb-upper.yaml";
    std::ofstream(config) << "platform_id: '" << kTownPlatform << "'\n"
                          << "name: 东街镇\n"
                          << "upper_id: '" << kUpperPlatform << "'\n"
                          << "upper_host: 127.0.0.1\n"
                          << "upper_port: " << upper_sip << "\n"
                          << "transport: " << sip_transport << "\n"
                          << "password: gbpass\n"
                          << "keepalive_s: 1\n"
                          << "catalog_page: 2\n"
                          << "alarms_always: true\n";
    upper_router = upper.StartRouter();
    upper_worker = StartGbWorker(upper, upper_sip, upper_http);
    town_router = town.StartRouter({"--gb-upper", config});
    town_worker = StartGbWorker(town, town_sip, town_http);
    nvr = StartGbSim(town, town_sip, nvr_id, 2, {"--media", Fixture("vtest.avi") + ",codec=h265"});
  }
  std::string Dump() const {
    return "--- town router\n" + town_router->Output() + "--- upper worker\n" + upper_worker->Output() +
           "--- town worker\n" + town_worker->Output();
  }
  // Waits until the upper has our platform registered with its whole catalog.
  bool Registered() const {
    return WaitUntil(
        [&] {
          json d = DeviceAt(upper_http, kTownPlatform);
          return d.is_object() && d["registered"] == true && d["online"] == true && d["catalog_complete"] == true &&
                 d["channels"].size() >= 4;
        },
        seconds(90));
  }
  // Waits until the upper's router has `channel` online and decoded at vtest's size.
  bool Plays(const std::string& channel) {
    return WaitUntil(
               [&] {
                 json c = CameraAt(upper, channel);
                 return c.is_object() && c["state"] == "online" && c.value("width", 0) == 768 &&
                        c.value("height", 0) == 576;
               },
               seconds(90)) &&
           WaitUntil([&] { return CameraMetric(upper_http, "xl_camera_frames_decoded_total", channel) > 20; },
                     seconds(30));
  }

  System town, upper;
  const int town_sip = FreePort(), town_http = FreePort(), upper_sip = FreePort(), upper_http = FreePort();
  const std::string nvr_id = "34020000001110000031";
  const std::vector<std::string> channels = {SimChannel(nvr_id, 0), SimChannel(nvr_id, 1)};  // H.264, H.265
  std::unique_ptr<Process> upper_router, upper_worker, town_router, town_worker, nvr;
};

TEST(GbUpward, ATownReportsToAnUpperPlatformThatPlaysItsCamerasAndHearsItsAlarms) {
  TownUnderUpper t("udp", "udp");
  System& town = t.town;
  System& upper = t.upper;
  const int upper_http = t.upper_http;
  const std::vector<std::string>& channels = t.channels;
  Process* town_router = t.town_router.get();
  Process* nvr = t.nvr.get();
  auto dump = [&] { return t.Dump(); };

  // Registered with the digest; the whole catalog, over several messages with the right SumNum.
  ASSERT_TRUE(t.Registered()) << dump();
  json device = DeviceAt(upper_http, kTownPlatform);
  EXPECT_EQ(device["name"], "东街镇");
  std::set<std::string> ids;
  for (const json& c : device["channels"]) ids.insert(c["id"].get<std::string>());
  for (const std::string& ch : channels) EXPECT_TRUE(ids.count(ch)) << ch << " missing: " << device.dump();
  EXPECT_EQ(device["catalog_sum"].get<int>(), int(device["channels"].size()));
  // The last catalog sent (asked for at registration, sent again as the cameras came).
  const std::string log = town_router->Output(), asked = "items in ";
  const size_t at = log.rfind("catalog to the upper platform (");
  ASSERT_NE(at, std::string::npos) << dump();
  const std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find("): " + std::to_string(device["channels"].size()) + " items"), std::string::npos) << line;
  EXPECT_GE(std::atoi(line.c_str() + line.find(asked) + asked.size()), 2) << "several messages: " << line;

  // The upper's router has the cameras (behind our platform) and plays them: each decoded there
  // at vtest's size, H.264 and H.265 alike, over UDP.
  for (const std::string& ch : channels) {
    ASSERT_TRUE(t.Plays(ch)) << ch << " " << CameraAt(upper, ch).dump() << dump();
    EXPECT_EQ(CameraAt(upper, ch)["url"], std::string("gb28181://") + kTownPlatform + "/" + ch);
  }
  EXPECT_EQ(CameraAt(upper, channels[0])["codec"], "h264");
  EXPECT_EQ(CameraAt(upper, channels[1])["codec"], "h265");
  EXPECT_NE(town_router->Output().find("live video of " + channels[0] + " for the upper platform: udp"),
            std::string::npos)
      << dump();

  // Over TCP: the upper switches the channel's transport; it listens, we connect.
  auto patched =
      upper.Api("PATCH", "/api/cameras/" + channels[0],
                json{{"url", std::string("gb28181://") + kTownPlatform + "/" + channels[0] + "?transport=tcp"}}.dump());
  ASSERT_TRUE(patched.ok());
  ASSERT_EQ(patched.value().status, 200) << patched.value().body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return town_router->Output().find("live video of " + channels[0] + " for the upper platform: tcp (active)") !=
               std::string::npos;
      },
      seconds(60)))
      << dump();
  const double decoded = CameraMetric(upper_http, "xl_camera_frames_decoded_total", channels[0]);
  EXPECT_TRUE(
      WaitUntil([&] { return CameraMetric(upper_http, "xl_camera_frames_decoded_total", channels[0]) > decoded + 25; },
                seconds(60)))
      << "no video over TCP\n"
      << dump();
  EXPECT_NE(town_router->Output().find("ended by the upper platform (BYE)"), std::string::npos)
      << "the UDP call was hung up by the upper\n"
      << dump();

  // PTZ from the upper reaches the device behind our worker, with the same bytes.
  auto ptz =
      HttpCall("POST", "http://127.0.0.1:" + std::to_string(upper_http) + "/gb28181/ptz",
               json{{"device", kTownPlatform}, {"channel", channels[1]}, {"action", "left"}, {"speed", 31}}.dump(),
               "application/json", 30, AsRouter());
  ASSERT_TRUE(ptz.ok());
  EXPECT_EQ(ptz.value().status, 200) << ptz.value().body;
  EXPECT_TRUE(WaitUntil(
      [&] { return nvr->Output().find("PTZ A50F01021F1F00F5 for " + channels[1]) != std::string::npos; }, seconds(20)))
      << nvr->Output() << dump();

  // Our motion alerts (pedestrians in vtest) arrive above as Alarm notifies: video alarm, motion.
  ASSERT_TRUE(WaitUntil(
      [&] {
        json d = DeviceAt(upper_http, kTownPlatform);
        if (!d.is_object()) return false;
        for (const json& a : d["recent_alarms"]) {
          const std::string text = a.get<std::string>();
          if (text.find("method 5, type 2") != std::string::npos &&
              (text.find(channels[0]) != std::string::npos || text.find(channels[1]) != std::string::npos)) {
            return true;
          }
        }
        return false;
      },
      seconds(90)))
      << DeviceAt(upper_http, kTownPlatform).dump() << dump();

  // `xl link ls` shows the link to the upper platform.
  std::string out;
  ASSERT_EQ(town.RunXl({"link", "ls"}, &out), 0) << out;
  EXPECT_NE(out.find("gb28181"), std::string::npos) << out;
  EXPECT_NE(out.find("registered"), std::string::npos) << out;
  auto links = town.Api("GET", "/api/links");
  ASSERT_TRUE(links.ok());
  json gb = json::parse(links.value().body)["gb_upper"];
  EXPECT_EQ(gb["state"], "registered") << gb.dump();
  EXPECT_EQ(gb["live_streams"], 2) << gb.dump();

  // The upper's BYE (it disables a camera) ends our call: one stream left.
  auto disabled = upper.Api("PATCH", "/api/cameras/" + channels[1], json{{"enabled", false}}.dump());
  ASSERT_TRUE(disabled.ok());
  ASSERT_EQ(disabled.value().status, 200) << disabled.value().body;
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto l = town.Api("GET", "/api/links");
        return l.ok() && json::parse(l.value().body)["gb_upper"]["live_streams"] == 1;
      },
      seconds(30)))
      << dump();
}

TEST(GbUpward, SignallingOverTcp) {
  TownUnderUpper t("tcp", "tcp");
  ASSERT_TRUE(t.Registered()) << t.Dump();
  EXPECT_EQ(DeviceAt(t.upper_http, kTownPlatform)["address"].get<std::string>().substr(0, 3), "tcp");
  ASSERT_TRUE(t.Plays(t.channels[1])) << CameraAt(t.upper, t.channels[1]).dump() << t.Dump();
  EXPECT_EQ(CameraAt(t.upper, t.channels[1])["codec"], "h265");
}

}  // namespace
}  // namespace xl::test
