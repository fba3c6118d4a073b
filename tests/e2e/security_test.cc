// Strangers on the network, end to end: a process with no registered key (or no CURVE at all)
// and no session tries every port of a running router and worker (ZeroMQ, RTSP, HTTP and
// WebSockets, the worker's HTTP, SIP over UDP and TCP), and a registered worker key tries to
// speak for another worker; they get nothing and change nothing, and the real system keeps
// working.
// Native clients see only their desk user's region; keys are managed with `xl key`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <zmq.hpp>

#include "common/http_client.h"
#include "proto/wire/curve.h"
#include "proto/wire/wire.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"
#include "tests/support/two_villages.h"
#include "tests/support/web_socket.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

std::vector<json> Lines(const Process& p, const std::string& type) {
  std::vector<json> out;
  for (const std::string& line : p.Lines()) {
    if (line.empty() || line[0] != '{') continue;
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") == type) out.push_back(j);
  }
  return out;
}

int AlertsOf(const Process& console, const std::string& camera) {
  int n = 0;
  for (const json& a : Lines(console, "alert")) n += a["camera"] == camera;
  return n;
}

bool SawCamera(const Process& console, const std::string& camera) {
  for (const json& c : Lines(console, "camera")) {
    if (c["id"] == camera) return true;
  }
  return false;
}

int64_t CountRows(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

// One peer of the router's ZeroMQ endpoints: with `keys` a CURVE client, with `password` a
// ZeroMQ PLAIN client, else plain.
class Peer {
 public:
  Peer(zmq::context_t& ctx, zmq::socket_type type, const std::string& endpoint,
       const std::optional<CurveClientKeys>& keys, const std::string& routing_id = "", const std::string& password = "")
      : socket_(ctx, type) {
    socket_.set(zmq::sockopt::linger, 0);
    if (!routing_id.empty()) socket_.set(zmq::sockopt::routing_id, routing_id);
    if (keys) MakeCurveClient(socket_, *keys);
    if (!password.empty()) {
      socket_.set(zmq::sockopt::plain_username, "viewer");
      socket_.set(zmq::sockopt::plain_password, password);
    }
    socket_.connect(endpoint);
  }
  void Send(const google::protobuf::MessageLite& msg) { socket_.send(ToFrame(msg), zmq::send_flags::dontwait); }
  void SendBytes(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait); }
  // Messages received within `wait`.
  int Received(std::chrono::milliseconds wait) {
    int n = 0;
    const auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      zmq::message_t m;
      while (socket_.recv(m, zmq::recv_flags::dontwait)) ++n;
    }
    return n;
  }

 private:
  zmq::socket_t socket_;
};

wire::Envelope InjectedAlert(const std::string& source, const std::string& camera, int n) {
  wire::Envelope env;
  env.set_source(source);
  env.set_seq(uint64_t(n));
  auto* a = env.mutable_alert();
  a->set_id("injected-" + std::to_string(n));
  a->set_camera_id(camera);
  a->set_region("3301020101");
  a->set_kind(wire::ALERT_KIND_MOTION);
  a->set_phase(wire::ALERT_PHASE_START);
  return env;
}

wire::VideoFrame InjectedFrame(const std::string& camera, uint64_t seq) {
  wire::VideoFrame v;
  v.set_camera_id(camera);
  v.set_codec("h264");
  v.set_keyframe(true);
  v.set_seq(seq);
  v.set_data(std::string("\x00\x00\x00\x01\x65\x88\x84", 7));
  return v;
}

// One request on a fresh TCP connection to a loopback port; the reply's first line ("" when
// the server answered nothing within 10 s).
std::string FirstLine(int port, const std::string& request) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return "";
  if (::write(fd, request.data(), request.size()) != ssize_t(request.size())) return ::close(fd), "";
  std::string reply;
  char c;
  pollfd p{fd, POLLIN, 0};
  while (reply.find("\r\n") == std::string::npos && ::poll(&p, 1, 10000) > 0 && ::read(fd, &c, 1) == 1) reply += c;
  ::close(fd);
  return reply.substr(0, reply.find("\r\n"));
}

// One SIP datagram to the worker's GB28181 port; the first line of the answer ("" for none).
std::string SipOverUdp(int port, const std::string& message) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(uint16_t(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  const ssize_t n = ::poll(&p, 1, 5000) > 0 ? ::recv(fd, buf, sizeof buf, 0) : 0;
  ::close(fd);
  const std::string reply(buf, size_t(n > 0 ? n : 0));
  return reply.substr(0, reply.find("\r\n"));
}

std::string SipRequest(const std::string& method, const std::string& device, const std::string& body = "") {
  return method + " sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK" +
         method + "\r\nFrom: <sip:" + device + "@3402000000>;tag=s\r\nTo: <sip:" + device +
         "@3402000000>\r\nCall-ID: stranger-" + method + "\r\nCSeq: 1 " + method + "\r\n" +
         (body.empty() ? "" : "Content-Type: Application/MANSCDP+xml\r\n") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(Security, StrangersGetNothingFromAnyPortAndTheSystemKeepsWorking) {
  System sys("security-strangers");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  const int worker_http = FreePort(), sip = FreePort();
  auto worker = StartTwoVillages(
      sys, worker_http,
      "  gb28181: {enabled: true, bind: 127.0.0.1, port: " + std::to_string(sip) + ", password: device-Secret1}\n");
  auto console = sys.StartConsole("console.log");
  ASSERT_TRUE(WaitUntil([&] { return AlertsOf(*console, kVillageA) > 0; }, seconds(90)))
      << console->Output() << worker->Output() << router->Output();
  // A real native viewer: sealed frames of village A flow on the video endpoint meanwhile.
  auto viewer = sys.StartConsole("viewer.log", {"--watch", kVillageA});
  ASSERT_TRUE(WaitUntil([&] { return Lines(*viewer, "video").size() > 5; }, seconds(60))) << viewer->Output();

  zmq::context_t ctx(1);
  const std::string router_key = ResolvePublicKey(sys.RouterKeyFile()).value();
  const CurveClientKeys stranger{GenerateCurveKeyPair().value(), router_key};
  // A real worker's key (registered for "w2"), trying to speak for e2e-worker and its cameras.
  const CurveClientKeys insider{ReadCurveKeyPair(sys.TrustKey("worker-w2", "worker", "w2")).value(), router_key};
  int seq = 0;
  for (const std::optional<CurveClientKeys>& keys : {std::optional(stranger), std::optional<CurveClientKeys>()}) {
    SCOPED_TRACE(keys ? "unregistered CURVE key" : "no CURVE");
    // Clients endpoint: subscribe to everything from the start, watch, move a camera.
    Peer client(ctx, zmq::socket_type::dealer, sys.ClientEndpoint(), keys);
    wire::ClientRequest sub, watch, ptz;
    sub.mutable_subscribe()->set_after_seq(0);
    watch.mutable_watch()->set_camera_id(kVillageA);
    ptz.mutable_ptz()->set_camera_id(kVillageA);
    ptz.mutable_ptz()->set_action("left");
    client.Send(sub);
    client.Send(watch);
    client.Send(ptz);
    // Workers endpoint: alerts for a real camera. Media endpoint: video for a real and an invented camera.
    Peer alerts(ctx, zmq::socket_type::push, sys.WorkerEndpoint(), keys);
    Peer media(ctx, zmq::socket_type::push, sys.MediaEndpoint(), keys);
    for (int i = 0; i < 5; ++i) {
      alerts.Send(InjectedAlert("e2e-worker", kVillageA, ++seq));
      media.Send(InjectedFrame(kVillageA, uint64_t(i + 1)));
      media.Send(InjectedFrame("33010201011329999999", uint64_t(i + 1)));
    }
    // Control endpoint: take the real worker's place, or join as a new one.
    Peer takeover(ctx, zmq::socket_type::dealer, sys.ControlEndpoint(), keys, "e2e-worker");
    Peer joiner(ctx, zmq::socket_type::dealer, sys.ControlEndpoint(), keys, "w9");
    wire::ControlUp hello_real, hello_new;
    hello_real.mutable_hello()->set_worker("e2e-worker");
    hello_new.mutable_hello()->set_worker("w9");
    takeover.Send(hello_real);
    joiner.Send(hello_new);
    // Video endpoint: without a ticket (a CURVE key, or nothing).
    Peer video(ctx, zmq::socket_type::dealer, sys.VideoEndpoint(), keys);
    video.SendBytes("");
    EXPECT_EQ(client.Received(seconds(3)), 0) << "a stranger got alerts, states, video or a PTZ answer";
    EXPECT_EQ(video.Received(seconds(1)), 0) << "a stranger got sealed video";
    EXPECT_EQ(takeover.Received(seconds(1)), 0) << "a stranger got the real worker's cameras";
    EXPECT_EQ(joiner.Received(seconds(1)), 0) << "a stranger became a worker";
  }
  {
    SCOPED_TRACE("a made-up ticket on the video endpoint");
    const double refused = sys.Metric("xl_refused_connections_total");
    Peer guess(ctx, zmq::socket_type::dealer, sys.VideoEndpoint(), std::nullopt, "", "made-up-ticket");
    guess.SendBytes("");
    EXPECT_EQ(guess.Received(seconds(2)), 0) << "a made-up ticket got sealed video";
    EXPECT_GT(sys.Metric("xl_refused_connections_total"), refused) << "the video endpoint let it in";
  }
  {
    SCOPED_TRACE("a registered worker key speaking for another worker");
    Peer alerts(ctx, zmq::socket_type::push, sys.WorkerEndpoint(), insider);
    for (int i = 0; i < 5; ++i) {
      alerts.Send(InjectedAlert("e2e-worker", kVillageA, ++seq));  // under the other worker's name
      alerts.Send(InjectedAlert("w2", kVillageA, ++seq));          // a camera not assigned to it
    }
    Peer media(ctx, zmq::socket_type::push, sys.MediaEndpoint(), insider);
    for (int i = 0; i < 5; ++i) media.Send(InjectedFrame(kVillageA, uint64_t(i + 1)));
    Peer takeover(ctx, zmq::socket_type::dealer, sys.ControlEndpoint(), insider, "e2e-worker");
    wire::ControlUp hello;
    hello.mutable_hello()->set_worker("e2e-worker");
    takeover.Send(hello);
    EXPECT_EQ(takeover.Received(seconds(3)), 0) << "another worker's key took over e2e-worker's cameras";
  }

  // RTSP: no stream description, no session, without a desk user's login.
  const int relay = std::stoi(sys.RelayUrl("", "").substr(sys.RelayUrl("", "").rfind(':') + 1));
  const std::string stream = sys.RelayUrl(kVillageA, "");
  EXPECT_EQ(FirstLine(relay, "DESCRIBE " + stream + " RTSP/1.0\r\nCSeq: 1\r\n\r\n"), "RTSP/1.0 401 Unauthorized");
  EXPECT_EQ(FirstLine(relay, "SETUP " + stream +
                                 "/stream=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;"
                                 "interleaved=0-1\r\n\r\n"),
            "RTSP/1.0 401 Unauthorized");
  // Router HTTP: every API and the metrics need a session (or the scraper's token).
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/desk/alerts"},
           {"GET", "/api/desk/cameras"},
           {"GET", "/api/cameras"},
           {"GET", "/api/workers"},
           {"GET", "/api/keys"},
           {"PATCH", "/api/keys?public_key=k"},
           {"GET", "/api/links"},
           {"GET", "/api/live"},
           {"GET", "/api/users"},
           {"GET", "/metrics"},
           {"POST", "/api/desk/ptz"},
           {"GET", "/api/desk/recordings/" + std::string(kVillageA) + "?from=0&to=1"},
           {"POST", "/api/desk/recordings/" + std::string(kVillageA) + "/download"},
           {"GET", "/api/desk/recordings/" + std::string(kVillageA) + "/downloads"},
           {"GET", "/api/desk/exports"},
           {"POST", "/api/desk/exports"},
           {"POST", "/api/cameras"},
           {"POST", "/api/import"}}) {
    auto r = HttpCall(method, sys.HttpBase() + path, method == "POST" ? "{}" : "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 401) << method << " " << path << ": " << r->body;
  }
  // Router WebSockets: closed unopened (4401), no video.
  for (const std::string& path :
       {std::string("/desk/feed"), std::string("/live/") + kVillageA, std::string("/playback/") + kVillageA,
        std::string("/playback/") + kVillageA + "/device"}) {
    const int fd = OpenWebSocket(sys.HttpPort(), path, "");
    if (fd < 0) continue;  // refused outright: as good
    WsReader ws(fd);
    EXPECT_EQ(ws.WaitForClose(std::chrono::milliseconds(3000)), 4401) << path;
    EXPECT_LE(ws.frames(), 1) << path << ": more than the refusal's reason";
  }
  // Worker HTTP: clips, PTZ and the device list answer only the router's token.
  const std::string worker_base = "http://127.0.0.1:" + std::to_string(worker_http);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/clips/x.mp4"},
                                                        {"GET", "/recordings/x?from=0&to=1"},
                                                        {"POST", "/recordings/x/download?from=0&to=1"},
                                                        {"POST", "/recordings/x/device-playback?from=0&to=1"},
                                                        {"GET", "/recordings/x/device-playback/x-p1/next?after=0"},
                                                        {"POST", "/gb28181/ptz"},
                                                        {"GET", "/gb28181/devices"},
                                                        {"GET", "/metrics"}}) {
    auto r = HttpCall(method, worker_base + path, method == "POST" ? "{}" : "");
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 401) << method << " " << path << ": " << r->body;
  }
  // SIP: a stranger's REGISTER is only challenged, its MESSAGE refused; no device appears.
  const std::string device = "34020000001320000077";
  EXPECT_EQ(SipOverUdp(sip, SipRequest("REGISTER", device)), "SIP/2.0 401 Unauthorized");
  EXPECT_EQ(SipOverUdp(sip, SipRequest("MESSAGE", device,
                                       "<?xml version=\"1.0\"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN>"
                                       "<DeviceID>" +
                                           device + "</DeviceID><Status>OK</Status></Notify>")),
            "SIP/2.0 403 Forbidden");
  const int sip_fd = ConnectLoopback(sip);
  ASSERT_GE(sip_fd, 0) << "SIP over TCP";
  const std::string reg = SipRequest("REGISTER", device);
  ASSERT_EQ(::write(sip_fd, reg.data(), reg.size()), ssize_t(reg.size()));
  ::close(sip_fd);
  auto devices = HttpCall("GET", worker_base + "/gb28181/devices", "", "", 10, AsScraper());
  ASSERT_TRUE(devices.ok() && devices->status == 200);
  EXPECT_TRUE(json::parse(devices->body)["devices"].empty()) << devices->body;

  // Nothing injected reached the log, the relay or the worker table; refusals were counted.
  EXPECT_EQ(CountRows(sys.Database(), "SELECT COUNT(*) FROM alerts WHERE alert_id LIKE 'injected-%'"), 0);
  for (const json& a : Lines(*console, "alert"))
    EXPECT_EQ(a["id"].get<std::string>().rfind("injected-", 0), std::string::npos);
  // (Video: the real viewer saw only the camera's own frames; the invented camera has no stream.)
  for (const json& v : Lines(*viewer, "video")) EXPECT_NE(v["bytes"], 7) << "an injected frame reached a viewer";
  auto live = sys.Api("GET", "/api/live");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->body.find("33010201011329999999"), std::string::npos) << live->body;
  EXPECT_GT(sys.Metric("xl_refused_messages_total"), 0);
  EXPECT_GT(sys.Metric("xl_refused_connections_total"), 0);
  auto workers = sys.Api("GET", "/api/workers");
  ASSERT_TRUE(workers.ok());
  const json w = json::parse(workers->body);
  ASSERT_EQ(w.size(), 1u) << workers->body;
  EXPECT_EQ(w[0]["id"], "e2e-worker");
  EXPECT_EQ(w[0]["live"], true);
  EXPECT_EQ(w[0]["cameras"], 2);
  EXPECT_EQ(router->Output().find(kCamPassword), std::string::npos);

  // The real system kept working: new alerts still reach the operator's console.
  const int before = AlertsOf(*console, kVillageA) + AlertsOf(*console, kVillageB);
  EXPECT_TRUE(
      WaitUntil([&] { return AlertsOf(*console, kVillageA) + AlertsOf(*console, kVillageB) > before; }, seconds(60)))
      << console->Output();
  const size_t frames = Lines(*viewer, "video").size();
  EXPECT_TRUE(WaitUntil([&] { return Lines(*viewer, "video").size() > frames + 10; }, seconds(30)))
      << "the real viewer's video stopped";
  EXPECT_TRUE(worker->running());
  EXPECT_TRUE(router->running());
}

TEST(Security, NativeClientsSeeOnlyTheirUsersRegionAndKeysAreManagedWithXl) {
  System sys("security-native-scope");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  auto worker = StartTwoVillages(sys);
  ASSERT_TRUE(WaitUntil([&] { return sys.Api("GET", "/healthz").ok(); }, seconds(20)));
  auto added = sys.Api("POST", "/api/users",
                       R"({"user":"op_a","password":"village-a-pw","role":"operator","region":"3301020101"})");
  ASSERT_TRUE(added.ok() && added->status == 201) << (added.ok() ? added->body : added.error().message);

  // The workers (hosts, load) are for admins only.
  const std::string cookie = sys.LoginCookie("op_a", "village-a-pw");
  ASSERT_FALSE(cookie.empty()) << "login refused";
  auto workers = HttpCall("GET", sys.HttpBase() + "/api/workers", "", "application/json", 10, {{"Cookie", cookie}});
  ASSERT_TRUE(workers.ok());
  EXPECT_EQ(workers->status, 403) << workers->body;

  // xl key gen / add / ls: the operator's client key, registered for op_a.
  const std::string key_file = sys.dir() + "/op_a.key";
  std::string out;
  ASSERT_EQ(sys.RunXl({"key", "gen", "--out", key_file}, &out), 0) << out;
  const std::string public_key = ReadCurveKeyPair(key_file).value().public_key;
  EXPECT_NE(out.find(public_key), std::string::npos) << out;
  EXPECT_EQ(out.find(ReadCurveKeyPair(key_file).value().secret_key), std::string::npos) << "the secret key was printed";
  EXPECT_NE(sys.RunXl({"key", "add", "user", "nobody", key_file}, &out), 0);
  EXPECT_NE(out.find("no desk user nobody"), std::string::npos) << out;
  ASSERT_EQ(sys.RunXl({"key", "add", "user", "op_a", key_file}, &out), 0) << out;
  ASSERT_EQ(sys.RunXl({"key", "ls"}, &out), 0) << out;
  EXPECT_NE(out.find(public_key), std::string::npos) << out;
  EXPECT_NE(out.find(ResolvePublicKey(sys.RouterKeyFile()).value()), std::string::npos) << out;

  // op_a's console asks for everything and gets village A only.
  auto op_a = sys.StartConsole("op_a.log", {"--key", key_file, "--after", "0"});
  auto admin = sys.StartConsole("admin.log", {"--after", "0"});
  ASSERT_TRUE(WaitUntil([&] { return AlertsOf(*admin, kVillageB) > 0 && AlertsOf(*op_a, kVillageA) > 0; }, seconds(90)))
      << admin->Output() << op_a->Output();
  EXPECT_TRUE(SawCamera(*op_a, kVillageA));
  EXPECT_FALSE(SawCamera(*op_a, kVillageB)) << op_a->Output();
  EXPECT_EQ(AlertsOf(*op_a, kVillageB), 0) << op_a->Output();

  // Watching and moving village B's camera: as if it did not exist.
  auto watch_b = sys.StartConsole("op_a-watch.log", {"--key", key_file, "--watch", kVillageB, "--exit-after", "4"});
  EXPECT_EQ(watch_b->Wait(seconds(20)), 0);
  EXPECT_TRUE(Lines(*watch_b, "video").empty()) << watch_b->Output();
  EXPECT_NE(watch_b->Output().find("no camera " + std::string(kVillageB)), std::string::npos) << watch_b->Output();
  auto ptz_b = sys.StartConsole("op_a-ptz.log", {"--key", key_file, "--ptz", kVillageB, "left"});
  EXPECT_EQ(ptz_b->Wait(seconds(20)), 1);
  EXPECT_NE(ptz_b->Output().find("no camera"), std::string::npos) << ptz_b->Output();

  // op_a and admin both watch village A (sealed video, the same bytes to both).
  auto op_a_video = sys.StartConsole("op_a-video.log", {"--key", key_file, "--watch", kVillageA});
  auto admin_video = sys.StartConsole("admin-video.log", {"--watch", kVillageA});
  ASSERT_TRUE(WaitUntil(
      [&] { return Lines(*op_a_video, "video").size() > 5 && Lines(*admin_video, "video").size() > 5; }, seconds(60)))
      << op_a_video->Output() << admin_video->Output();

  // xl key rm: the key is refused from then on, on its open connection too.
  ASSERT_EQ(sys.RunXl({"key", "rm", key_file}, &out), 0) << out;
  const size_t seen = op_a->Lines().size();
  auto again = sys.StartConsole("op_a-again.log", {"--key", key_file, "--after", "0", "--exit-after", "4"});
  again->Wait(seconds(20));
  EXPECT_TRUE(Lines(*again, "alert").empty()) << again->Output();
  EXPECT_TRUE(Lines(*again, "camera").empty()) << again->Output();
  // The old connection gets no new alerts (admin's keeps getting them).
  const int admin_before = AlertsOf(*admin, kVillageA);
  ASSERT_TRUE(WaitUntil([&] { return AlertsOf(*admin, kVillageA) > admin_before + 2; }, seconds(60)));
  std::this_thread::sleep_for(seconds(6));  // past the console's silence timeout: it resubscribes, refused
  int fresh_alerts = 0;
  const auto lines = op_a->Lines();
  for (size_t i = seen; i < lines.size(); ++i) fresh_alerts += lines[i].find("\"type\":\"alert\"") != std::string::npos;
  EXPECT_LE(fresh_alerts, 2) << "a removed key kept receiving alerts";
  // Its video stopped; village A got a new key, and the admin's viewer goes on under it.
  const size_t op_a_frames = Lines(*op_a_video, "video").size(), admin_frames = Lines(*admin_video, "video").size();
  EXPECT_TRUE(WaitUntil([&] { return Lines(*admin_video, "video").size() > admin_frames + 25; }, seconds(30)))
      << admin_video->Output();
  EXPECT_EQ(Lines(*op_a_video, "video").size(), op_a_frames) << "a removed key kept receiving video";
  EXPECT_GE(sys.Metric("xl_live_video_key_renewals_total"), 1);
}

// An admin of one village writes only inside it: cameras (add, change, remove, import) and
// users; and sees only its own users.
TEST(Security, ARegionsAdminIsConfinedToItsRegion) {
  System sys("security-scoped-admin");
  auto router = sys.StartRouter();
  ASSERT_TRUE(WaitUntil([&] { return sys.Api("GET", "/healthz").ok(); }, seconds(20)));
  ASSERT_EQ(sys.Api("POST", "/api/users",
                    R"({"user":"admin_a","password":"village-a-admin","role":"admin","region":"3301020101"})")
                ->status,
            201);
  ASSERT_EQ(sys.Api("POST", "/api/users",
                    R"({"user":"op_b","password":"village-b-pw","role":"operator","region":"3301020201"})")
                ->status,
            201);
  ASSERT_EQ(sys.Api("POST", "/api/cameras",
                    std::string(R"({"id":")") + kVillageB + R"(","name":"b","region":"3301020201","url":"rtsp://h/b"})")
                ->status,
            201);
  const std::string cookie = sys.LoginCookie("admin_a", "village-a-admin");
  ASSERT_FALSE(cookie.empty()) << "login refused";
  auto as_a = [&](const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& type = "application/json") {
    return HttpCall(method, sys.HttpBase() + path, body, type, 30, {{"Cookie", cookie}}).value();
  };
  // Cameras: inside yes, outside no (and outside cameras do not exist for it).
  EXPECT_EQ(as_a("POST", "/api/cameras",
                 std::string(R"({"id":")") + kVillageA + R"(","name":"a","region":"3301020101","url":"rtsp://h/a"})")
                .status,
            201);
  EXPECT_EQ(as_a("POST", "/api/cameras",
                 R"({"id":"33010202011320000009","name":"x","region":"3301020201","url":"rtsp://h/x"})")
                .status,
            403);
  EXPECT_EQ(as_a("PUT", std::string("/api/cameras/") + kVillageB, R"({"name":"taken"})").status, 404);
  EXPECT_EQ(as_a("DELETE", std::string("/api/cameras/") + kVillageB).status, 404);
  EXPECT_EQ(as_a("PUT", std::string("/api/cameras/") + kVillageA, R"({"region":"3301020201"})").status, 403)
      << "moved a camera out of its region";
  auto import = as_a("POST", "/api/import",
                     "id,name,url,region\n33010201011320000005,a5,rtsp://h/5,3301020101\n"
                     "33010202011320000006,b6,rtsp://h/6,3301020201\n",
                     "text/csv");
  ASSERT_EQ(import.status, 200) << import.body;
  const json imported = json::parse(import.body);
  EXPECT_EQ(imported["applied"], 1) << import.body;
  EXPECT_NE(import.body.find("outside 3301020101"), std::string::npos) << import.body;
  auto all = sys.Api("GET", "/api/cameras");
  EXPECT_EQ(all->body.find("33010202011320000006"), std::string::npos) << "an outside row was imported";
  EXPECT_NE(all->body.find("\"b\""), std::string::npos) << "village B's camera changed: " << all->body;
  // Users: created only inside, listed only inside.
  EXPECT_EQ(as_a("POST", "/api/users",
                 R"({"user":"op_b2","password":"village-b-pw","role":"operator","region":"3301020201"})")
                .status,
            403);
  EXPECT_EQ(as_a("POST", "/api/users", R"({"user":"root2","password":"everything","role":"admin","region":""})").status,
            403);
  EXPECT_EQ(as_a("POST", "/api/users",
                 R"({"user":"op_a2","password":"village-a-pw","role":"operator","region":"3301020101"})")
                .status,
            201);
  const std::string users = as_a("GET", "/api/users").body;
  EXPECT_NE(users.find("op_a2"), std::string::npos) << users;
  EXPECT_EQ(users.find("op_b"), std::string::npos) << users;
  EXPECT_EQ(users.find("\"user\":\"admin\""), std::string::npos) << users;
}

TEST(Security, LogoutClosesOpenSocketsAndOtherSitesCannotOpenThem) {
  System sys("security-sockets");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  auto worker = StartTwoVillages(sys);
  ASSERT_TRUE(WaitUntil([&] { return CameraOnline(sys, kVillageA); }, seconds(60)));
  const int port = std::stoi(sys.HttpBase().substr(sys.HttpBase().rfind(':') + 1));
  const std::string cookie = sys.LoginCookie("admin", kAdminPassword);
  ASSERT_FALSE(cookie.empty()) << "login refused";
  // Another site's page, with the user's cookie: refused.
  const int evil_fd = OpenWebSocket(port, "/desk/feed", "Cookie: " + cookie + "\r\nOrigin: http://evil.example\r\n");
  if (evil_fd >= 0) {
    WsReader evil(evil_fd);
    EXPECT_EQ(evil.WaitForClose(std::chrono::milliseconds(3000)), 4403);
    EXPECT_EQ(evil.frames(), 0) << "a cross-origin socket got data";
  }
  // The same pages from our own origin: open and streaming.
  const std::string own = "Cookie: " + cookie + "\r\nOrigin: http://127.0.0.1:" + std::to_string(port) + "\r\n";
  const int feed_fd = OpenWebSocket(port, "/desk/feed", own);
  const int live_fd = OpenWebSocket(port, std::string("/live/") + kVillageA, own);
  ASSERT_GE(feed_fd, 0);
  ASSERT_GE(live_fd, 0);
  WsReader feed(feed_fd), live(live_fd);
  EXPECT_EQ(feed.WaitForClose(std::chrono::milliseconds(1500)), -1);
  EXPECT_EQ(live.WaitForClose(std::chrono::milliseconds(8000)), -1);
  EXPECT_GE(feed.frames(), 1);
  EXPECT_GE(live.frames(), 3) << "no video on the socket";
  // Logout: both close within a second.
  auto out = HttpCall("POST", sys.HttpBase() + "/api/logout", "", "application/json", 30, {{"Cookie", cookie}});
  ASSERT_TRUE(out.ok() && out->status == 204);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(feed.WaitForClose(std::chrono::milliseconds(3000)), 4401);
  EXPECT_EQ(live.WaitForClose(std::chrono::milliseconds(3000)), 4401);
  EXPECT_LE(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1000);
  EXPECT_TRUE(router->running());
}

}  // namespace
}  // namespace xl::test
