// GB/T 28181 signalling with real processes on loopback: simulated NVRs (xl-camsim
// --gb28181) register to a worker's platform endpoint over UDP and TCP with digest
// authentication, report a catalog split across messages, keep alive; a wrong password is
// refused and logged once; a device that stops its keepalives goes offline after 3
// intervals and comes back when they resume; a PTZ command reaches the device's channel.
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/system.h"
#include "xl/http_client.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

TEST(Gb28181, NvrsRegisterReportTheirCatalogAndKeepAlive) {
  System sys("gb28181");
  const int sip_port = FreePort(), http_port = FreePort();
  auto router = sys.StartRouter();
  auto worker = sys.StartWorker("w1", "cameras: []\n", http_port,
                                "  gb28181: {enabled: true, bind: 127.0.0.1, port: " + std::to_string(sip_port) +
                                    ", password: gbpass, keepalive_s: 1, keepalive_misses: 3}\n");
  const std::string platform = "127.0.0.1:" + std::to_string(sip_port);
  ASSERT_TRUE(WaitUntil([&] { return worker->Output().find("GB28181 platform") != std::string::npos; }, seconds(30)))
      << worker->Output();
  auto sim = [&](const std::string& id, const std::string& transport, const std::string& password) {
    return std::make_unique<Process>(
        std::vector<std::string>{Binary("tools/xl-camsim"), "--gb28181", platform, "--transport", transport,
                                 "--device-id", id, "--password", password, "--channels", "4", "--catalog-page",
                                 "3", "--keepalive-s", "1"},
        sys.dir() + "/gbsim-" + id + ".log");
  };
  const std::string udp_id = "34020000001110000001", tcp_id = "34020000001110000002", bad_id = "34020000001110000003";
  auto udp = sim(udp_id, "udp", "gbpass");
  auto tcp = sim(tcp_id, "tcp", "gbpass");
  auto bad = sim(bad_id, "udp", "not-the-password");

  auto devices = [&] {
    auto r = HttpCall("GET", "http://127.0.0.1:" + std::to_string(http_port) + "/gb28181/devices");
    if (!r.ok() || r.value().status != 200) return json();
    return json::parse(r.value().body, nullptr, false);
  };
  auto device = [&](const std::string& id) {
    json all = devices();
    if (all.is_object()) {
      for (const json& d : all["devices"]) {
        if (d["id"] == id) return d;
      }
    }
    return json();
  };
  for (const std::string& id : {udp_id, tcp_id}) {
    ASSERT_TRUE(WaitUntil([&] {
      json d = device(id);
      return d.is_object() && d["online"] == true && d["catalog_complete"] == true;
    }, seconds(30))) << id << "\n" << worker->Output();
    json d = device(id);
    EXPECT_EQ(d["address"].get<std::string>().substr(0, 3), id == udp_id ? "udp" : "tcp");
    EXPECT_EQ(d["model"], "camsim-nvr");
    ASSERT_EQ(d["channels"].size(), 4u) << d.dump();
    std::map<std::string, int> by_region;
    for (const json& c : d["channels"]) {
      by_region[c["civil_code"]]++;
      EXPECT_EQ(c["parent_id"], id);
      EXPECT_EQ(c["name"].get<std::string>().substr(0, 6), "通道");  // GB2312 on the wire, UTF-8 here
    }
    EXPECT_EQ(by_region["3402000001"], 2);
    EXPECT_EQ(by_region["3402000002"], 2);
  }

  // The wrong password: challenged, refused with 403, retried every 3 s, logged once.
  ASSERT_TRUE(WaitUntil([&] { return CountOf(bad->Output(), "refused (403)") >= 2; }, seconds(30))) << bad->Output();
  EXPECT_EQ(CountOf(worker->Output(), "gb28181 device " + bad_id), 1) << worker->Output();
  EXPECT_TRUE(device(bad_id).is_null());

  // Keepalives stop: offline after 3 missed 1 s intervals; back on the first one.
  ::kill(udp->pid(), SIGUSR1);
  ASSERT_TRUE(WaitUntil([&] { return device(udp_id)["online"] == false; }, seconds(15))) << worker->Output();
  EXPECT_NE(worker->Output().find("gb28181 device " + udp_id + " (模拟NVR): offline: no keepalive for 3 s"),
            std::string::npos) << worker->Output();
  EXPECT_EQ(device(tcp_id)["online"], true) << "the other device is unaffected";
  ::kill(udp->pid(), SIGUSR2);
  ASSERT_TRUE(WaitUntil([&] { return device(udp_id)["online"] == true; }, seconds(15))) << worker->Output();

  // A PTZ command reaches the device's channel with the right bytes and checksum.
  const std::string ptz_url = "http://127.0.0.1:" + std::to_string(http_port) + "/gb28181/ptz";
  const std::string channel = device(tcp_id)["channels"][0]["id"];
  auto ptz = HttpCall("POST", ptz_url,
                      json{{"device", tcp_id}, {"channel", channel}, {"action", "left"}, {"speed", 31}}.dump());
  ASSERT_TRUE(ptz.ok());
  EXPECT_EQ(ptz.value().status, 200) << ptz.value().body;
  ASSERT_TRUE(WaitUntil([&] { return tcp->Output().find("PTZ A50F01021F1F00F5 for " + channel) != std::string::npos; },
                        seconds(10))) << tcp->Output();
  EXPECT_EQ(HttpCall("POST", ptz_url, json{{"device", tcp_id}, {"action", "spin"}}.dump()).value().status, 400);
  EXPECT_EQ(HttpCall("POST", ptz_url, json{{"device", tcp_id}, {"action", "left"}, {"speed", "fast"}}.dump()).value().status, 400);
  EXPECT_EQ(HttpCall("POST", ptz_url, "{not json").value().status, 400);
  EXPECT_EQ(HttpCall("POST", ptz_url, json{{"device", bad_id}, {"action", "stop"}}.dump()).value().status, 404);

  // Garbage on the SIP port is counted and dropped; the worker carries on.
  const int fd = ConnectLoopback(sip_port);
  ASSERT_GE(fd, 0);
  const std::string junk = "INVITE nonsense\r\nContent-Length: 999999999\r\n\r\n";
  ASSERT_EQ(::write(fd, junk.data(), junk.size()), ssize_t(junk.size()));
  ASSERT_TRUE(WaitUntil([&] { return devices()["sip"]["malformed"].get<int>() >= 1; }, seconds(10)));
  ::close(fd);
  EXPECT_EQ(device(tcp_id)["online"], true);
  EXPECT_TRUE(worker->running());
}

}  // namespace
}  // namespace xl::test
