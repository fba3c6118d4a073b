// Desk accounts end to end: users disabled, re-enabled, given new passwords and removed (with
// `xl user` and the API) lose their sessions, sockets and RTSP players at once; RTSP players
// log in as desk users and see only their region; HTTPS makes cookies Secure; request bodies
// are bounded before they are kept; password checks never stall the live relay.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/http_client.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"
#include "tests/support/two_villages.h"
#include "tests/support/web_socket.h"

namespace xl::test {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

int HttpPort(const System& sys) { return std::stoi(sys.HttpBase().substr(sys.HttpBase().rfind(':') + 1)); }

// ffprobe of the router's RTSP re-serve as `login`: its output ("codec_name=…" or the error).
std::string ProbeRelay(System& sys, const std::string& camera, const std::string& login) {
  static int probes = 0;
  Process p({"/usr/bin/ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name", "-of",
             "default=nw=1", sys.RelayUrl(camera, login)},
            sys.dir() + "/ffprobe-" + std::to_string(++probes) + ".log");
  p.Wait(seconds(30));
  return p.Output();
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int LoginStatus(const System& sys, const std::string& user, const std::string& password) {
  auto r = HttpCall("POST", sys.HttpBase() + "/api/login", json{{"user", user}, {"password", password}}.dump());
  return r.ok() ? r->status : -1;
}

// A WebSocket of the desk page as the user of `cookie`, from the router's own origin.
int OpenAs(const System& sys, const std::string& path, const std::string& cookie) {
  return OpenWebSocket(HttpPort(sys), path,
                       "Cookie: " + cookie + "\r\nOrigin: http://127.0.0.1:" + std::to_string(HttpPort(sys)) + "\r\n");
}

TEST(Accounts, UserChangesEndTheirSessionsSocketsAndPlayersAtOnce) {
  System sys("accounts-lifecycle");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  auto worker = StartTwoVillages(sys);
  const std::string admin_login = std::string("admin:") + kAdminPassword;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ProbeRelay(sys, kVillageA, admin_login).find("codec_name=h264") != std::string::npos &&
               ProbeRelay(sys, kVillageB, admin_login).find("codec_name=h264") != std::string::npos;
      },
      seconds(120)))
      << worker->Output();

  // xl user add: a village A operator; the password only in the environment.
  std::string out;
  ASSERT_EQ(sys.RunXl({"user", "add", "op_a", "operator", "3301020101"}, &out, {"XL_USER_PASSWORD=village-a-pw"}), 0)
      << out;
  EXPECT_NE(sys.RunXl({"user", "add", "op_x", "operator"}, &out), 0) << "added a user with no password";
  ASSERT_EQ(sys.RunXl({"user", "ls"}, &out), 0);
  EXPECT_NE(out.find("op_a"), std::string::npos) << out;

  // RTSP: op_a logs in as a desk user and sees village A only; B does not exist for them
  // (404 at DESCRIBE: not even its SDP).
  EXPECT_PRED2(Contains, ProbeRelay(sys, kVillageA, "op_a:village-a-pw"), "codec_name=h264");
  EXPECT_PRED2(Contains, ProbeRelay(sys, kVillageB, "op_a:village-a-pw"), "DESCRIBE failed: 404");
  EXPECT_PRED2(Contains, ProbeRelay(sys, kVillageA, "op_a:wrong-password"), "401");

  // op_a's desk (the alert feed and a live tile) and an RTSP player are open…
  std::string cookie = sys.LoginCookie("op_a", "village-a-pw");
  ASSERT_FALSE(cookie.empty());
  const int feed_fd = OpenAs(sys, "/desk/feed", cookie),
            live_fd = OpenAs(sys, std::string("/live/") + kVillageA, cookie);
  ASSERT_GE(feed_fd, 0);
  ASSERT_GE(live_fd, 0);
  WsReader feed(feed_fd), live(live_fd);
  Process player({"/usr/bin/ffmpeg", "-hide_banner", "-rtsp_transport", "tcp", "-i",
                  sys.RelayUrl(kVillageA, "op_a:village-a-pw"), "-t", "120", "-c", "copy", "-f", "null", "-"},
                 sys.dir() + "/player.log");
  EXPECT_EQ(live.WaitForClose(milliseconds(4000)), -1);
  EXPECT_GE(live.frames(), 3) << "no video on the live tile";
  EXPECT_TRUE(player.running()) << player.Output();

  // …until an admin disables op_a: the sockets close within a second, the player is cut off,
  // and op_a can log in nowhere.
  ASSERT_EQ(sys.RunXl({"user", "disable", "op_a"}, &out), 0) << out;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(feed.WaitForClose(milliseconds(3000)), 4401);
  EXPECT_EQ(live.WaitForClose(milliseconds(3000)), 4401);
  EXPECT_LE(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1000);
  EXPECT_GE(player.Wait(seconds(30)), 0) << "the RTSP player of a disabled user kept playing";
  EXPECT_EQ(LoginStatus(sys, "op_a", "village-a-pw"), 401);
  EXPECT_PRED2(Contains, ProbeRelay(sys, kVillageA, "op_a:village-a-pw"), "401");
  auto me = HttpCall("GET", sys.HttpBase() + "/api/me", "", "", 10, {{"Cookie", cookie}});
  EXPECT_EQ(me->status, 401);

  // Enabled again, then a new password from an admin: the old one opens nothing any more.
  ASSERT_EQ(sys.RunXl({"user", "enable", "op_a"}, &out), 0) << out;
  EXPECT_EQ(LoginStatus(sys, "op_a", "village-a-pw"), 200);
  ASSERT_EQ(sys.RunXl({"user", "passwd", "op_a"}, &out, {"XL_USER_PASSWORD=village-a-new"}), 0) << out;
  EXPECT_EQ(LoginStatus(sys, "op_a", "village-a-pw"), 401);
  EXPECT_EQ(LoginStatus(sys, "op_a", "village-a-new"), 200);
  EXPECT_PRED2(Contains, ProbeRelay(sys, kVillageA, "op_a:village-a-new"), "codec_name=h264");

  // op_a changes their own password: the old one must be given; their other sessions end,
  // the page that changed it gets a new one.
  cookie = sys.LoginCookie("op_a", "village-a-new");
  const std::string other = sys.LoginCookie("op_a", "village-a-new");
  auto own = [&](const std::string& old_pw, const std::string& new_pw) {
    return HttpCall("POST", sys.HttpBase() + "/api/me/password",
                    json{{"old_password", old_pw}, {"new_password", new_pw}}.dump(), "application/json", 30,
                    {{"Cookie", cookie}})
        .value();
  };
  EXPECT_EQ(own("not-my-password", "village-a-3rd").status, 403);
  EXPECT_EQ(own("village-a-new", "short").status, 400);
  HttpReply changed = own("village-a-new", "village-a-3rd");
  ASSERT_EQ(changed.status, 200) << changed.body;
  std::string fresh;
  for (const auto& [name, value] : changed.headers) {
    if (name == "Set-Cookie") fresh = value.substr(0, value.find(';'));
  }
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/me", "", "", 10, {{"Cookie", other}})->status, 401);
  EXPECT_EQ(HttpCall("GET", sys.HttpBase() + "/api/me", "", "", 10, {{"Cookie", fresh}})->status, 200);
  EXPECT_EQ(LoginStatus(sys, "op_a", "village-a-3rd"), 200);

  // Moved to village B's town, op_a sees B: over RTSP, and their native client, subscribed
  // under village A, is dropped and subscribes again under the new region.
  const std::string key_file = sys.dir() + "/op_a.key";
  ASSERT_EQ(sys.RunXl({"key", "gen", "--out", key_file}, &out), 0) << out;
  const std::string public_key = out.substr(0, 40);
  ASSERT_EQ(sys.RunXl({"key", "add", "user", "op_a", key_file}, &out), 0) << out;
  auto console = sys.StartConsole("op_a-console.log", {"--key", key_file});
  ASSERT_TRUE(WaitUntil([&] { return console->Output().find(kVillageA) != std::string::npos; }, seconds(30)))
      << console->Output();
  EXPECT_EQ(console->Output().find(kVillageB), std::string::npos) << "village B before the move";
  EXPECT_EQ(sys.Api("PATCH", "/api/users/admin", R"({"disabled":true})")->status, 403);  // no self-lockout
  EXPECT_EQ(sys.Api("PATCH", "/api/users/op_a", R"({"region":"33010202"})")->status, 200);
  EXPECT_PRED2(Contains, ProbeRelay(sys, kVillageB, "op_a:village-a-3rd"), "codec_name=h264");
  EXPECT_NE(router->Output().find("its user moved to region 33010202"), std::string::npos) << router->Output();
  EXPECT_TRUE(WaitUntil([&] { return console->Output().find(kVillageB) != std::string::npos; }, seconds(60)))
      << console->Output();

  // Removing op_a ends them for good, their client key too.
  ASSERT_EQ(sys.RunXl({"user", "rm", "op_a"}, &out), 0) << out;
  EXPECT_EQ(LoginStatus(sys, "op_a", "village-a-3rd"), 401);
  ASSERT_EQ(sys.RunXl({"user", "ls"}, &out), 0);
  EXPECT_EQ(out.find("op_a"), std::string::npos) << out;
  ASSERT_EQ(sys.RunXl({"key", "ls"}, &out), 0);
  EXPECT_EQ(out.find(public_key), std::string::npos) << "a removed user's client key stayed registered: " << out;

  // Names are often Chinese: every command takes them.
  ASSERT_EQ(sys.RunXl({"user", "add", "值班员甲", "operator", "3301020101"}, &out, {"XL_USER_PASSWORD=duty-officer-1"}),
            0)
      << out;
  ASSERT_EQ(sys.RunXl({"user", "disable", "值班员甲"}, &out), 0) << out;
  EXPECT_EQ(LoginStatus(sys, "值班员甲", "duty-officer-1"), 401);
  ASSERT_EQ(sys.RunXl({"user", "rm", "值班员甲"}, &out), 0) << out;

  for (const char* secret : {"village-a-pw", "village-a-new", "village-a-3rd", kAdminPassword}) {
    EXPECT_EQ(router->Output().find(secret), std::string::npos) << "a password reached the log";
  }
  EXPECT_TRUE(router->running());
}

TEST(Accounts, HttpsMakesCookiesSecureAndBodiesAreBoundedBeforeTheyAreKept) {
  System sys("accounts-https");
  const std::string cert = sys.dir() + "/cert.pem", key = sys.dir() + "/key.pem";
  Process openssl({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                   "-days", "2", "-subj", "/CN=127.0.0.1"},
                  sys.dir() + "/openssl.log");
  ASSERT_EQ(openssl.Wait(seconds(60)), 0) << openssl.Output();
  auto router = sys.StartRouter({"--tls-cert", cert, "--tls-key", key});
  const std::string base = "https://127.0.0.1:" + std::to_string(HttpPort(sys));
  // curl -k: the certificate is self-signed; -i: the status line and headers in the output.
  auto curl = [&](const std::vector<std::string>& args) {
    static int calls = 0;
    std::vector<std::string> argv = {"/usr/bin/curl", "-sk", "-i", "--max-time", "30"};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, sys.dir() + "/curl-" + std::to_string(++calls) + ".log");
    p.Wait(seconds(60));
    return p.Output();
  };
  ASSERT_TRUE(WaitUntil([&] { return curl({base + "/healthz"}).find("200 OK") != std::string::npos; }, seconds(30)))
      << router->Output();
  EXPECT_NE(router->Output().find("HTTP at https://"), std::string::npos);
  const std::string login = json{{"user", "admin"}, {"password", kAdminPassword}}.dump();
  const std::string reply = curl({"-X", "POST", "--data-binary", login, base + "/api/login"});
  ASSERT_NE(reply.find("200 OK"), std::string::npos) << reply;
  const size_t at = reply.find("xl_session=");
  ASSERT_NE(at, std::string::npos) << reply;
  const std::string set_cookie = reply.substr(at, reply.find('\n', at) - at);
  EXPECT_NE(set_cookie.find("; Secure"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  EXPECT_NE(curl({"-H", "Cookie: " + cookie, base + "/api/me"}).find("\"admin\""), std::string::npos);
  EXPECT_EQ(curl({"http://127.0.0.1:" + std::to_string(HttpPort(sys)) + "/healthz"}).find("200 OK"), std::string::npos)
      << "plain HTTP answered on the HTTPS port";

  // Bodies: beyond the route's bound, 413 whether the size is announced or chunked; the
  // camera import takes a county's CSV.
  const std::string big = sys.dir() + "/big.json";
  std::ofstream(big) << std::string(200 * 1024, ' ') << login;
  const std::string announced = curl({"-X", "POST", "--data-binary", "@" + big, base + "/api/login"});
  EXPECT_NE(announced.find("413"), std::string::npos) << announced.substr(0, 300);
  EXPECT_NE(announced.find("too large"), std::string::npos) << announced.substr(0, 300);
  const std::string chunked =
      curl({"-X", "POST", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big, base + "/api/login"});
  EXPECT_NE(chunked.find("413"), std::string::npos) << chunked.substr(0, 300);
  std::string csv = "id,name,url,region\n";
  for (int i = 0; i < 2000; ++i) {
    char id[21];
    std::snprintf(id, sizeof id, "330102010113%08d", i);
    csv += std::string(id) + ",camera " + std::to_string(i) + ",rtsp://10.1.1.1/stream-number-" + std::to_string(i) +
           ",3301020101\n";
  }
  const std::string csv_file = sys.dir() + "/cameras.csv";
  std::ofstream(csv_file) << csv;
  ASSERT_GT(csv.size(), 64u * 1024);
  const std::string imported = curl({"-X", "POST", "-H", "Cookie: " + cookie, "-H", "Content-Type: text/csv",
                                     "--data-binary", "@" + csv_file, base + "/api/import?dry_run=1"});
  EXPECT_NE(imported.find("200 OK"), std::string::npos) << imported.substr(0, 300);
  EXPECT_TRUE(router->running());
}

// Frames a /live socket receives within `window`.
int FramesWithin(WsReader& live, milliseconds window) {
  const int before = live.frames();
  live.WaitForClose(window);
  return live.frames() - before;
}

TEST(Accounts, WrongPasswordsAreSlowedDownAndLoggedWhileTheRelayKeepsItsFrameRate) {
  System sys("accounts-logins");
  auto camsim = sys.StartCamsim({"a=" + Fixture("vtest.avi"), "b=" + Fixture("tree.avi")});
  auto router = sys.StartRouter();
  auto worker = StartTwoVillages(sys);
  ASSERT_TRUE(WaitUntil([&] { return CameraOnline(sys, kVillageA); }, seconds(120)));
  const int live_fd = OpenAs(sys, std::string("/live/") + kVillageA, sys.AdminCookie());
  ASSERT_GE(live_fd, 0);
  WsReader live(live_fd);
  ASSERT_GE(FramesWithin(live, milliseconds(3000)), 3) << "no video";
  const int calm = FramesWithin(live, milliseconds(4000));

  // During the next 4 s: 20 wrong passwords for admin in a row, and logins of 20 unknown
  // users from 20 addresses at once (each a password hash, were it not bounded).
  std::map<int, int> statuses;
  std::vector<int> flood(20, 0);
  int right_status = 0;
  std::thread attacker([&] {
    for (int i = 0; i < 20; ++i) {
      auto r = HttpCall("POST", sys.HttpBase() + "/api/login",
                        json{{"user", "admin"}, {"password", "guess-" + std::to_string(i)}}.dump());
      ++statuses[r.ok() ? r->status : -1];
    }
    right_status = LoginStatus(sys, "admin", kAdminPassword);  // even the right one waits now
    std::vector<std::unique_ptr<Process>> curls;
    for (int i = 0; i < 20; ++i) {
      curls.push_back(std::make_unique<Process>(
          std::vector<std::string>{"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface",
                                   "127.0.0." + std::to_string(i + 2), "-X", "POST", "--data-binary",
                                   json{{"user", "nobody-" + std::to_string(i)}, {"password", "x"}}.dump(),
                                   sys.HttpBase() + "/api/login"},
          sys.dir() + "/flood-" + std::to_string(i) + ".log"));
    }
    for (size_t i = 0; i < curls.size(); ++i) {
      curls[i]->Wait(seconds(60));
      flood[i] = std::atoi(curls[i]->Output().c_str());
    }
  });
  const int stormy = FramesWithin(live, milliseconds(4000));
  attacker.join();

  EXPECT_EQ(statuses[401], 5) << "the first failures are checked";
  EXPECT_EQ(statuses[429], 15) << "then they wait, unchecked";
  for (int status : flood) EXPECT_TRUE(status == 401 || status == 503) << status;
  EXPECT_NE(router->Output().find("failed 5+ times in a row, slowed down"), std::string::npos) << router->Output();
  EXPECT_GE(stormy * 2, calm) << "the relay slowed down during the logins: " << stormy << " frames against " << calm;
  EXPECT_EQ(right_status, 429) << "the right password right after 20 wrong ones";
  EXPECT_EQ(router->Output().find(kAdminPassword), std::string::npos) << "a password reached the log";
  EXPECT_TRUE(router->running());
}

}  // namespace
}  // namespace xl::test
