// Live fan-out: one 1080p ~4 Mbit/s H.264 stream from a worker to N viewers through the
// router, against a raw loopback TCP copy of the same bytes to N readers, in the same run.
//
//   live_fanout [--clients 10,100,500] [--seconds S]
//
// Everything runs twice, side by side: with CURVE on every ZeroMQ link (as deployed) and with
// --insecure-no-curve, and the summary gives CURVE's cost as the ratio of router CPU per
// Gbit/s (goal <= 1.3).
//
// For each N it prints, for native (ZeroMQ) viewers, RTSP players (N ≤ 100) and the raw copy:
// delivered Gbit/s, the sender's CPU (router process, or the raw sender thread), Gbit/s per
// core, frames lost, and for ZeroMQ the added latency (worker publish → viewer receive)
// p50/p99. The worker is played by this program: it sends the clip's access units to the
// router's media endpoint at 25 fps, as xl-ingest would, so the router is what is measured.
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "common/clock.h"
#include "proto/media/h26x.h"
#include "proto/wire/curve.h"
#include "proto/wire/sealed_video.h"
#include "proto/wire/wire.h"
#include "tests/support/media.h"
#include "tests/support/process.h"
#include "tests/support/system.h"
#include "xueliang.pb.h"

using namespace xl::test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFps = 25;
constexpr const char* kCamera = "33010201001320000001";

struct Unit {
  std::string data;
  bool key;
};

// The clip's access units (Annex B, split at access unit delimiters).
std::vector<Unit> LoadUnits(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Unit> units;
  const std::string sc("\x00\x00\x00\x01\x09", 5);
  size_t pos = all.find(sc);
  while (pos != std::string::npos) {
    size_t next = all.find(sc, pos + 5);
    std::string au = all.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    bool key = false;
    for (auto nal : xl::h26x::SplitAnnexB(au)) key = key || xl::h26x::NalType(xl::h26x::Codec::kH264, nal) == 5;
    units.push_back({std::move(au), key});
    pos = next;
  }
  return units;
}

double ThreadCpu() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Plays the worker: sends the units to the router's media endpoint at kFps until `stop`.
// CURVE keys of the bench's worker and viewers; none when the router runs without CURVE.
struct Keys {
  std::optional<xl::CurveClientKeys> worker, viewer;
};

// Every socket here: CURVE when `keys`, and nothing held back at the end (a context waits
// for what its sockets still have to send).
void Secure(zmq::socket_t& socket, const std::optional<xl::CurveClientKeys>& keys) {
  socket.set(zmq::sockopt::linger, 0);
  if (keys) xl::MakeCurveClient(socket, *keys);
}

// Plays the worker's control channel until `stop`: Hello, then a heartbeat a second with
// the assignment version applied, so the router assigns the camera to worker "bench".
void Control(zmq::context_t& ctx, const std::string& endpoint, const Keys& keys, const std::atomic<bool>& stop) {
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::routing_id, "bench");
  dealer.set(zmq::sockopt::linger, 0);
  Secure(dealer, keys.worker);
  dealer.connect(endpoint);
  xl::wire::ControlUp hello;
  hello.mutable_hello()->set_worker("bench");
  dealer.send(xl::ToFrame(hello), zmq::send_flags::none);
  uint64_t applied = 0;
  while (!stop) {
    zmq::message_t m;
    while (dealer.recv(m, zmq::recv_flags::dontwait)) {
      xl::wire::ControlDown down;
      if (xl::FromFrame(m, &down) && down.has_assignment()) applied = down.assignment().version();
    }
    xl::wire::ControlUp beat;
    beat.mutable_heartbeat()->set_worker("bench");
    beat.mutable_heartbeat()->set_applied_version(applied);
    dealer.send(xl::ToFrame(beat), zmq::send_flags::dontwait);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

void Publish(zmq::context_t& ctx, const std::string& endpoint, const Keys& keys, const std::vector<Unit>& units,
             const std::atomic<bool>& stop, std::atomic<uint64_t>& sent) {
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::sndhwm, 1000);
  Secure(push, keys.worker);
  push.connect(endpoint);
  uint64_t seq = 0;
  auto next = Clock::now();
  for (size_t i = 0; !stop; i = (i + 1) % units.size()) {
    xl::wire::VideoFrame v;
    v.set_camera_id(kCamera);
    v.set_codec("h264");
    v.set_keyframe(units[i].key);
    v.set_width(1920);
    v.set_height(1080);
    v.set_pts_us(int64_t(seq) * 1000000 / kFps);
    v.set_dts_us(v.pts_us());
    v.set_data(units[i].data);
    v.set_seq(++seq);
    v.set_sent_ms(xl::NowMs());
    push.send(xl::ToFrame(v), zmq::send_flags::dontwait);
    ++sent;
    next += std::chrono::microseconds(1000000 / kFps);
    std::this_thread::sleep_until(next);
  }
}

struct Result {
  double gbits = 0, cpu_cores = 0;
  uint64_t frames = 0, lost = 0;
  double p50 = -1, p99 = -1;
  double per_core() const { return cpu_cores > 0 ? gbits / cpu_cores : 0; }
};

// N native viewers in this thread; returns what they received over `seconds`.
Result ZmqViewers(zmq::context_t& ctx, const std::string& endpoint, const Keys& keys, int n, int seconds,
                  pid_t router) {
  std::vector<zmq::socket_t> socks;
  for (int i = 0; i < n; ++i) {
    socks.emplace_back(ctx, zmq::socket_type::dealer);
    socks.back().set(zmq::sockopt::rcvhwm, 2000);
    Secure(socks.back(), keys.viewer);
    socks.back().connect(endpoint);
    xl::wire::ClientRequest sub, watch;
    sub.mutable_subscribe()->add_prefixes(kCamera);
    watch.mutable_watch()->set_camera_id(kCamera);
    socks.back().send(xl::ToFrame(sub), zmq::send_flags::none);
    socks.back().send(xl::ToFrame(watch), zmq::send_flags::none);
  }
  // With CURVE the router sends sealed frames on its video endpoint (each viewer opens them).
  std::vector<std::unique_ptr<xl::SealedVideoInbox>> inboxes;
  for (int i = 0; i < n; ++i) inboxes.push_back(std::make_unique<xl::SealedVideoInbox>(ctx, endpoint));
  std::vector<zmq::pollitem_t> items;
  std::vector<uint64_t> last_seq(size_t(n), 0);
  std::vector<int64_t> latencies;
  Result r;
  uint64_t bytes = 0;
  auto warm_end = Clock::now() + std::chrono::seconds(3);
  auto end = warm_end + std::chrono::seconds(seconds);
  double cpu0 = -1;
  auto last_ping = Clock::now();
  while (Clock::now() < end) {
    const bool measuring = Clock::now() >= warm_end;
    if (measuring && cpu0 < 0) cpu0 = CpuSeconds(router);
    if (Clock::now() - last_ping > std::chrono::milliseconds(500)) {
      xl::wire::ClientRequest ping;
      ping.set_ping(true);
      for (auto& s : socks) s.send(xl::ToFrame(ping), zmq::send_flags::dontwait);
      last_ping = Clock::now();
    }
    items.clear();
    for (int i = 0; i < n; ++i) {
      items.push_back({socks[size_t(i)].handle(), 0, ZMQ_POLLIN, 0});
      items.push_back(inboxes[size_t(i)]->PollItem());
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(50));
    for (int i = 0; i < n; ++i) {
      const bool client = items[2 * size_t(i)].revents & ZMQ_POLLIN,
                 sealed = items[2 * size_t(i) + 1].revents & ZMQ_POLLIN;
      if (!client && !sealed) continue;
      zmq::socket_t& from = sealed ? *inboxes[size_t(i)]->socket() : socks[size_t(i)];
      zmq::message_t m;
      while (from.recv(m, zmq::recv_flags::dontwait)) {
        xl::wire::ServerMessage msg;
        if (sealed) {
          auto frame = inboxes[size_t(i)]->Open(m);
          if (!frame) continue;
          *msg.mutable_video() = std::move(*frame);
        } else if (!msg.ParseFromArray(m.data(), int(m.size())) || inboxes[size_t(i)]->OnServerMessage(msg) ||
                   !msg.has_video()) {
          continue;
        }
        const auto& v = msg.video();
        if (measuring) {
          bytes += m.size();
          ++r.frames;
          if (last_seq[size_t(i)] && v.seq() != last_seq[size_t(i)] + 1) r.lost += v.seq() - last_seq[size_t(i)] - 1;
          if (r.frames % 7 == 0) latencies.push_back(xl::NowMs() - v.sent_ms());
        }
        last_seq[size_t(i)] = v.seq();
      }
    }
  }
  r.cpu_cores = (CpuSeconds(router) - cpu0) / seconds;
  r.gbits = double(bytes) * 8 / 1e9 / seconds;
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    r.p50 = double(latencies[latencies.size() / 2]);
    r.p99 = double(latencies[latencies.size() * 99 / 100]);
  }
  return r;
}

// Sends one RTSP request and reads the reply head; the reply text.
std::string Rtsp(int fd, const std::string& req) {
  send(fd, req.data(), req.size(), 0);
  std::string reply;
  char buf[4096];
  while (reply.find("\r\n\r\n") == std::string::npos) {
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    if (got <= 0) break;
    reply.append(buf, size_t(got));
  }
  size_t len_at = reply.find("Content-Length: ");
  if (len_at != std::string::npos) {
    size_t need = reply.find("\r\n\r\n") + 4 + std::stoul(reply.substr(len_at + 16));
    while (reply.size() < need) {
      ssize_t got = recv(fd, buf, std::min(sizeof buf, need - reply.size()), 0);
      if (got <= 0) break;
      reply.append(buf, size_t(got));
    }
  }
  return reply;
}

std::string Md5(const std::string& text) {
  gchar* hex = g_compute_checksum_for_string(G_CHECKSUM_MD5, text.data(), gssize(text.size()));
  std::string out = hex;
  g_free(hex);
  return out;
}

// The value of `name`="…" in an RTSP reply's WWW-Authenticate header.
std::string ChallengeField(const std::string& reply, const std::string& name) {
  const size_t at = reply.find(name + "=\"");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 2;
  return reply.substr(from, reply.find('"', from) - from);
}

// N RTSP players (TCP interleaved) reading in this thread: bytes and RTP frames (marker bits).
// They log in as the desk's admin (RTSP digest, RFC 2617 without qop).
Result RtspPlayers(const std::string& url, int port, int n, int seconds, pid_t router) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ConnectLoopback(port);
    if (fd < 0) continue;
    const std::string challenge = Rtsp(fd, "DESCRIBE " + url + " RTSP/1.0\r\nCSeq: 1\r\n\r\n");
    const std::string realm = ChallengeField(challenge, "realm"), nonce = ChallengeField(challenge, "nonce");
    const std::string ha1 = Md5(std::string("admin:") + realm + ":" + kAdminPassword);
    auto auth = [&](const std::string& method, const std::string& uri) {
      return "Authorization: Digest username=\"admin\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\"" +
             uri + "\", response=\"" + Md5(ha1 + ":" + nonce + ":" + Md5(method + ":" + uri)) + "\"\r\n";
    };
    Rtsp(fd,
         "DESCRIBE " + url + " RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n" + auth("DESCRIBE", url) + "\r\n");
    std::string setup =
        Rtsp(fd, "SETUP " + url + "/stream=0 RTSP/1.0\r\nCSeq: 3\r\n" + auth("SETUP", url + "/stream=0") +
                     "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n");
    size_t s = setup.find("Session: ");
    if (s == std::string::npos) {
      close(fd);
      continue;
    }
    std::string session = setup.substr(s + 9, setup.find_first_of(";\r", s + 9) - s - 9);
    Rtsp(fd, "PLAY " + url + " RTSP/1.0\r\nCSeq: 4\r\n" + auth("PLAY", url) + "Session: " + session + "\r\n\r\n");
    fds.push_back(fd);
  }
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  std::vector<std::string> pending(fds.size());
  Result r;
  uint64_t bytes = 0;
  auto warm_end = Clock::now() + std::chrono::seconds(3);
  auto end = warm_end + std::chrono::seconds(seconds);
  double cpu0 = -1;
  std::vector<char> buf(1 << 16);
  while (Clock::now() < end) {
    const bool measuring = Clock::now() >= warm_end;
    if (measuring && cpu0 < 0) cpu0 = CpuSeconds(router);
    poll(pfds.data(), pfds.size(), 50);
    for (size_t i = 0; i < pfds.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      ssize_t got = recv(pfds[i].fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (got <= 0) continue;
      if (measuring) bytes += size_t(got);
      std::string& p = pending[i];
      p.append(buf.data(), size_t(got));
      size_t at = 0;
      while (p.size() - at >= 4 && p[at] == '$') {  // interleaved: $ channel len16 packet
        size_t len = (size_t(uint8_t(p[at + 2])) << 8) | uint8_t(p[at + 3]);
        if (p.size() - at < 4 + len) break;
        if (measuring && p[at + 1] == 0 && len > 2 && (uint8_t(p[at + 5]) & 0x80)) ++r.frames;
        at += 4 + len;
      }
      if (at < p.size() && p[at] != '$') at = p.size();  // an RTSP reply or junk: drop it
      p.erase(0, at);
    }
  }
  for (int fd : fds) close(fd);
  r.cpu_cores = (CpuSeconds(router) - cpu0) / seconds;
  r.gbits = double(bytes) * 8 / 1e9 / seconds;
  const uint64_t expected = uint64_t(fds.size()) * kFps * uint64_t(seconds);
  r.lost = r.frames < expected ? expected - r.frames : 0;
  return r;
}

// The floor: one thread writes the same units at the same pace to N loopback TCP readers.
Result RawCopy(const std::vector<Unit>& units, int n, int seconds) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  listen(listener, 1024);
  std::vector<int> readers, writers;
  for (int i = 0; i < n; ++i) {
    readers.push_back(ConnectLoopback(ntohs(a.sin_port)));
    writers.push_back(accept(listener, nullptr, nullptr));
  }
  close(listener);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> measuring{false};
  std::thread reader([&] {
    std::vector<pollfd> pfds;
    for (int fd : readers) pfds.push_back({fd, POLLIN, 0});
    std::vector<char> buf(1 << 16);
    while (!stop) {
      poll(pfds.data(), pfds.size(), 50);
      for (auto& p : pfds) {
        if (!(p.revents & POLLIN)) continue;
        ssize_t got = recv(p.fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (got > 0 && measuring) bytes += uint64_t(got);
      }
    }
  });
  double cpu = 0;
  std::thread writer([&] {
    auto next = Clock::now();
    auto warm_end = next + std::chrono::seconds(3), end = warm_end + std::chrono::seconds(seconds);
    double cpu0 = -1;
    for (size_t i = 0; Clock::now() < end; i = (i + 1) % units.size()) {
      if (Clock::now() >= warm_end && cpu0 < 0) {
        cpu0 = ThreadCpu();
        measuring = true;
      }
      for (int fd : writers) send(fd, units[i].data.data(), units[i].data.size(), MSG_NOSIGNAL);
      next += std::chrono::microseconds(1000000 / kFps);
      std::this_thread::sleep_until(next);
    }
    cpu = ThreadCpu() - cpu0;
  });
  writer.join();
  stop = true;
  reader.join();
  for (int fd : readers) close(fd);
  for (int fd : writers) close(fd);
  Result r;
  r.cpu_cores = cpu / seconds;
  r.gbits = double(bytes.load()) * 8 / 1e9 / seconds;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts = {10, 100, 500};
  int seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
    if (a == "--clients") {
      counts.clear();
      std::stringstream list(argv[i + 1]);
      for (std::string item; std::getline(list, item, ',');) counts.push_back(std::stoi(item));
    }
  }
  const std::string clip = TempDir("bench-live-fanout-clip") + "/vtest_1080p.h264";
  if (std::system(("ffmpeg -v error -y -i '" + Fixture("vtest.avi") +
                   "' -vf scale=1920:1080,fps=" + std::to_string(kFps) +
                   " -c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 4M -g 50 -bf 0 -x264-params aud=1 -an "
                   "-f h264 '" +
                   clip + "'")
                      .c_str()) != 0) {
    std::fprintf(stderr, "cannot make the 1080p clip\n");
    return 1;
  }
  const std::vector<Unit> units = LoadUnits(clip);
  double clip_bytes = 0;
  for (const Unit& u : units) clip_bytes += double(u.data.size());
  const double mbits = clip_bytes * 8 / (double(units.size()) / kFps) / 1e6;
  std::printf("clip: %zu access units, 1920x1080 @ %d fps, %.2f Mbit/s\n", units.size(), kFps, mbits);
  std::printf("%-6s %-10s %10s %10s %12s %10s %10s %10s\n", "N", "path", "Gbit/s", "cpu cores", "Gbit/s/core", "lost",
              "p50 ms", "p99 ms");
  auto print = [&](int n, const char* path, const Result& r) {
    std::printf("%-6d %-10s %10.3f %10.3f %12.2f %10llu %10.0f %10.0f\n", n, path, r.gbits, r.cpu_cores, r.per_core(),
                static_cast<unsigned long long>(r.lost), r.p50, r.p99);
  };
  std::string summary;
  std::map<int, Result> curve_by_n;
  for (const bool curve : {true, false}) {
    System sys(curve ? "bench-live-fanout" : "bench-live-fanout-plain");
    Keys keys;
    if (curve) {
      const std::string router_key = sys.RouterKeyFile();
      keys.worker = xl::LoadCurveClientKeys(sys.TrustKey("worker-bench", "worker", "bench"), router_key).value();
      keys.viewer = xl::LoadCurveClientKeys(sys.TrustKey("viewer", "user", "admin"), router_key).value();
    }
    auto router = curve ? sys.StartRouter() : sys.StartRouter({"--insecure-no-curve"});
    if (!WaitUntil([&] { return sys.Api("GET", "/healthz").ok(); }, std::chrono::seconds(20))) return 1;
    sys.Api("POST", "/api/cameras",
            std::string(R"({"id":")") + kCamera + R"(","name":"bench","url":"rtsp://127.0.0.1:9/x"})");
    zmq::context_t ctx(1);
    std::atomic<bool> stop{false};
    std::thread control(Control, std::ref(ctx), sys.ControlEndpoint(), std::cref(keys), std::cref(stop));
    // The camera is assigned to worker "bench" once it has said Hello.
    WaitUntil(
        [&] {
          auto r = sys.Api("GET", "/api/workers");
          return r.ok() && r->body.find("\"bench\"") != std::string::npos &&
                 r->body.find("\"cameras\":1") != std::string::npos;
        },
        std::chrono::seconds(20));
    // Tell the router the camera's codec (what a worker's status report would), for RTSP;
    // sent again until the router acknowledges it (it defers a worker it has not assigned yet).
    {
      zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
      Secure(dealer, keys.worker);
      dealer.connect(sys.WorkerEndpoint());
      xl::wire::Envelope env;
      env.set_source("bench");
      env.set_seq(1);
      env.mutable_status()->set_worker("bench");
      auto* cam = env.mutable_status()->add_cameras();
      cam->set_id(kCamera);
      cam->set_state(xl::wire::CAMERA_STATE_ONLINE);
      cam->set_worker("bench");
      cam->set_codec("h264");
      bool acknowledged = false;
      for (int attempt = 0; attempt < 20 && !acknowledged; ++attempt) {
        dealer.send(xl::ToFrame(env), zmq::send_flags::none);
        zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
        zmq::message_t ack;
        acknowledged = zmq::poll(&item, 1, std::chrono::milliseconds(1000)) > 0 && dealer.recv(ack);
      }
      if (!acknowledged) std::fprintf(stderr, "the router did not take the camera's codec: no RTSP\n");
    }
    std::atomic<uint64_t> sent{0};
    std::thread publisher(Publish, std::ref(ctx), sys.MediaEndpoint(), std::cref(keys), std::cref(units),
                          std::cref(stop), std::ref(sent));
    for (int n : counts) {
      if (curve) print(n, "raw", RawCopy(units, n, seconds));
      Result zmq_r = ZmqViewers(ctx, sys.ClientEndpoint(), keys, n, seconds, router->pid());
      std::this_thread::sleep_for(std::chrono::seconds(2));
      print(n, curve ? "zmq-curve" : "zmq-plain", zmq_r);
      if (curve) {
        curve_by_n[n] = zmq_r;
        if (n <= 100) {
          print(n, "rtsp",
                RtspPlayers(sys.RelayUrl(kCamera, ""), std::stoi(sys.RelayUrl(kCamera, "").substr(17, 5)), n, seconds,
                            router->pid()));
        }
      } else {
        const Result& c = curve_by_n[n];
        // Router CPU per Gbit/s delivered, CURVE over plain: what encryption costs.
        const double cost = zmq_r.per_core() > 0 && c.per_core() > 0 ? zmq_r.per_core() / c.per_core() : 0;
        char line[256];
        std::snprintf(line, sizeof line,
                      " N=%d: zmq %.2f Gbit/s/core with CURVE, %.2f without (CURVE costs %.2fx CPU per Gbit/s), p99 "
                      "%.0f ms, lost %llu;",
                      n, c.per_core(), zmq_r.per_core(), cost, c.p99, static_cast<unsigned long long>(c.lost));
        summary += line;
      }
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    if (curve) {
      // Time to first frame for a new viewer of a live camera (the GOP cache), 20 joins.
      std::vector<double> joins;
      zmq::socket_t keep(ctx, zmq::socket_type::dealer);  // keeps the camera live meanwhile
      Secure(keep, keys.viewer);
      keep.connect(sys.ClientEndpoint());
      xl::wire::ClientRequest sub, watch;
      sub.mutable_subscribe()->add_prefixes(kCamera);
      watch.mutable_watch()->set_camera_id(kCamera);
      keep.send(xl::ToFrame(sub), zmq::send_flags::none);
      keep.send(xl::ToFrame(watch), zmq::send_flags::none);
      std::this_thread::sleep_for(std::chrono::seconds(3));
      for (int i = 0; i < 20; ++i) {
        zmq::socket_t j(ctx, zmq::socket_type::dealer);
        j.set(zmq::sockopt::linger, 0);
        Secure(j, keys.viewer);
        j.connect(sys.ClientEndpoint());
        const auto t0 = Clock::now();
        j.send(xl::ToFrame(sub), zmq::send_flags::none);
        j.send(xl::ToFrame(watch), zmq::send_flags::none);
        xl::SealedVideoInbox inbox(ctx, sys.ClientEndpoint());
        for (bool got = false; !got;) {  // the first frame: in clear, or sealed on the video endpoint
          zmq::pollitem_t items[2] = {{j.handle(), 0, ZMQ_POLLIN, 0}, inbox.PollItem()};
          zmq::poll(items, 2, std::chrono::milliseconds(1000));
          zmq::message_t m;
          if ((items[1].revents & ZMQ_POLLIN) && inbox.socket()->recv(m, zmq::recv_flags::dontwait)) {
            got = inbox.Open(m).has_value();
          } else if ((items[0].revents & ZMQ_POLLIN) && j.recv(m, zmq::recv_flags::dontwait)) {
            xl::wire::ServerMessage msg;
            got = msg.ParseFromArray(m.data(), int(m.size())) && !inbox.OnServerMessage(msg) && msg.has_video();
          }
        }
        joins.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        xl::wire::ClientRequest ping;
        ping.set_ping(true);
        keep.send(xl::ToFrame(ping), zmq::send_flags::dontwait);
      }
      std::sort(joins.begin(), joins.end());
      std::printf("new viewer of a live camera, subscribe to first frame (20 joins): p50 %.0f ms, max %.0f ms\n",
                  joins[joins.size() / 2], joins.back());
      char join_line[128];
      std::snprintf(join_line, sizeof join_line,
                    " first frame for a new viewer p50 %.0f ms, max %.0f ms (goal <= 200);", joins[joins.size() / 2],
                    joins.back());
      summary += join_line;
    }
    stop = true;
    publisher.join();
    control.join();
  }
  std::printf("summary:%s goal >= 3.3 Gbit/s/core, p99 <= 150 ms, CURVE <= 1.3x\n", summary.c_str());
  return 0;
}
