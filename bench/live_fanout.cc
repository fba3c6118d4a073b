// Live fan-out: one 1080p ~4 Mbit/s H.264 stream from a worker to N viewers through the
// router, against a raw loopback TCP copy of the same bytes to N readers, in the same run.
//
//   live_fanout [--clients 50,200,1000] [--seconds S] [--paths raw,zmq,rtsp,ws,plain,merge]
//
// For each N it prints, per path — native ZeroMQ viewers (with CURVE, as deployed, and
// without), RTSP players (strict ones, TCP interleaved; and again with writes merged over
// kMergeMs), browsers' fMP4 WebSockets, and the raw copy — delivered Gbit/s, the sender's
// CPU (router process, or the raw sender thread), Gbit/s per core, frames lost, and for
// ZeroMQ and RTSP the added latency (worker publish → viewer receive) p50/p99. Then per path
// the Gbit/s per added core between viewer counts (the CPU difference cancels fixed costs),
// and a one-line summary: CURVE's cost as the ratio of router CPU per Gbit/s (goal <= 1.3),
// RTSP per added core (goal >= 13).
//
// The worker is played by this program: it sends the clip's access units to the router's
// media endpoint at 25 fps, as xl-ingest would, so the router is what is measured.
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
#include <filesystem>
#include <fstream>
#include <functional>
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
#include "tests/support/rtsp_player.h"
#include "tests/support/system.h"
#include "tests/support/web_socket.h"
#include "xueliang.pb.h"

using namespace xl::test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFps = 25;
constexpr int kMergeMs = 10;  // the batched pass: RTSP writes merged over this long
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

// CPU seconds of each thread of process `pid`, summed by thread name (/proc/PID/task).
std::map<std::string, double> CpuByThread(pid_t pid) {
  std::map<std::string, double> out;
  const double tick = double(sysconf(_SC_CLK_TCK));
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    out[stat.substr(open + 1, close - open - 1)] += (utime + stime) / tick;
  }
  return out;
}

// "name 0.41, name 0.38, …": cores each thread name used between two CpuByThread readings.
std::string CoresByThread(const std::map<std::string, double>& before, const std::map<std::string, double>& after,
                          int seconds) {
  std::vector<std::pair<double, std::string>> used;
  for (const auto& [name, cpu] : after) {
    auto it = before.find(name);
    const double cores = (cpu - (it == before.end() ? 0 : it->second)) / seconds;
    if (cores >= 0.01) used.emplace_back(cores, name);
  }
  std::sort(used.rbegin(), used.rend());
  std::string out;
  for (const auto& [cores, name] : used) {
    char item[64];
    std::snprintf(item, sizeof item, "%s%s %.2f", out.empty() ? "" : ", ", name.c_str(), cores);
    out += item;
  }
  return out;
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
    v.set_pts_us(g_get_real_time());  // the wall clock: RTSP players see it as the RTP time
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

// Alerts during a measurement: the bench's worker sends one every 200 ms on its delivery
// socket, a native client subscribed to the camera receives them; worker send → client
// receive, in ms.
class AlertProbe {
 public:
  // `seq` is the worker socket's delivery sequence, the last one used: kept across probes.
  AlertProbe(zmq::context_t& ctx, zmq::socket_t& worker, std::string client_endpoint, const Keys& keys, uint64_t& seq)
      : seq_(seq),
        thread_([this, &ctx, &worker, client_endpoint, &keys] { Run(ctx, worker, client_endpoint, keys); }) {}
  ~AlertProbe() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Latencies so far, sorted; and how many alerts were sent and not received.
  std::vector<int64_t> Stop(uint64_t* missing) {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::sort(latencies_.begin(), latencies_.end());
    *missing = sent_ - latencies_.size();
    return latencies_;
  }

 private:
  void Run(zmq::context_t& ctx, zmq::socket_t& worker, const std::string& endpoint, const Keys& keys) {
    zmq::socket_t client(ctx, zmq::socket_type::dealer);
    Secure(client, keys.viewer);
    client.connect(endpoint);
    xl::wire::ClientRequest sub;
    sub.mutable_subscribe()->add_prefixes(kCamera);
    client.send(xl::ToFrame(sub), zmq::send_flags::none);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscribed before the first alert
    auto next_send = Clock::now();
    while (!stop_) {
      if (Clock::now() >= next_send) {
        next_send += std::chrono::milliseconds(200);
        xl::wire::Envelope env;
        env.set_source("bench");
        env.set_seq(++seq_);
        env.set_after(seq_ - 1);
        env.set_sent_ms(xl::NowMs());
        auto* a = env.mutable_alert();
        a->set_id(std::string(kCamera) + "-" + std::to_string(xl::NowMs()) + "-probe" + std::to_string(seq_));
        a->set_camera_id(kCamera);
        a->set_kind(xl::wire::ALERT_KIND_MOTION);
        a->set_phase(xl::wire::ALERT_PHASE_START);
        a->set_start_ms(xl::NowMs());
        a->set_time_ms(xl::NowMs());
        worker.send(xl::ToFrame(env), zmq::send_flags::dontwait);
        ++sent_;
      }
      zmq::message_t m;
      zmq::pollitem_t items[2] = {{client.handle(), 0, ZMQ_POLLIN, 0}, {worker.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, std::chrono::milliseconds(20));
      while (worker.recv(m, zmq::recv_flags::dontwait)) {}  // acknowledgements
      while (client.recv(m, zmq::recv_flags::dontwait)) {
        xl::wire::ServerMessage msg;
        if (msg.ParseFromArray(m.data(), int(m.size())) && msg.has_alert() &&
            msg.alert().alert().id().find("-probe") != std::string::npos) {
          latencies_.push_back(xl::NowMs() - msg.alert().alert().time_ms());
        }
      }
    }
  }

  std::atomic<bool> stop_{false};
  uint64_t& seq_;
  uint64_t sent_ = 0;
  std::vector<int64_t> latencies_;
  std::thread thread_;
};

struct Result {
  double gbits = 0, cpu_cores = 0;
  uint64_t frames = 0, lost = 0;
  int refused = 0;                        // viewers that could not start, or whose stream broke
  std::string threads;                    // router CPU by thread name
  double alert_p50 = -1, alert_p99 = -1;  // alerts sent meanwhile: worker → native client, ms
  uint64_t alerts_missing = 0;
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

// N strict RTSP players (TCP interleaved; tests/support/rtsp_player.h) reading in this
// thread, logged in as the desk's admin: bytes, pictures, lost RTP packets, and the added
// latency (the bench stamps pictures with the wall clock, which RTSP carries as the RTP time).
Result RtspPlayers(const std::string& url, int n, int seconds, pid_t router,
                   const std::function<std::unique_ptr<AlertProbe>()>& new_probe = {}) {
  const int port = std::stoi(url.substr(17, url.find('/', 17) - 17));  // rtsp://127.0.0.1:PORT/
  std::vector<std::unique_ptr<StrictRtspPlayer>> players;
  std::vector<int64_t> latencies;
  Result r;
  for (int i = 0; i < n; ++i) {
    auto p = std::make_unique<StrictRtspPlayer>();
    if (!p->Open(port, url, "admin", kAdminPassword)) {
      std::fprintf(stderr, "RTSP player %d: %s\n", i, p->error().c_str());
      ++r.refused;
      continue;
    }
    players.push_back(std::move(p));
    // Those already playing are read while the others start, or they would fall behind.
    if (players.size() % 20 == 0) {
      for (auto& q : players) q->Read(-1);
    }
  }
  std::vector<pollfd> pfds;
  for (auto& p : players) pfds.push_back({p->fd(), POLLIN, 0});
  // Warm-up: the GOP each player starts with, and what came while the others started, are read
  // before measuring.
  auto warm_end = Clock::now() + std::chrono::seconds(3 + n / 250);
  auto end = warm_end + std::chrono::seconds(seconds);
  double cpu0 = -1;
  uint64_t bytes0 = 0, pictures0 = 0, lost0 = 0;
  std::map<std::string, double> threads0;
  std::unique_ptr<AlertProbe> probe;
  auto sum = [&](uint64_t (StrictRtspPlayer::*f)() const) {
    uint64_t t = 0;
    for (auto& p : players) t += ((*p).*f)();
    return t;
  };
  auto last_keepalive = Clock::now();
  while (Clock::now() < end) {
    if (Clock::now() >= warm_end && cpu0 < 0) {
      cpu0 = CpuSeconds(router);
      bytes0 = sum(&StrictRtspPlayer::bytes);
      pictures0 = sum(&StrictRtspPlayer::pictures);
      lost0 = sum(&StrictRtspPlayer::lost_packets);
      for (auto& p : players) p->MeasureLatency(&latencies);
      threads0 = CpuByThread(router);
      if (new_probe) probe = new_probe();
    }
    if (Clock::now() - last_keepalive > std::chrono::seconds(20)) {  // as VLC does, within the session timeout
      for (auto& p : players) p->KeepAlive();
      last_keepalive = Clock::now();
    }
    poll(pfds.data(), pfds.size(), 50);
    for (size_t i = 0; i < pfds.size(); ++i) {
      if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (!players[i]->Read(-1) && pfds[i].fd >= 0) {
          std::fprintf(stderr, "RTSP player: %s\n", players[i]->error().c_str());
          pfds[i].fd = -1;  // poll ignores it from now on
          ++r.refused;
        }
      }
    }
  }
  r.cpu_cores = (CpuSeconds(router) - cpu0) / seconds;
  r.threads = CoresByThread(threads0, CpuByThread(router), seconds);
  if (probe) {
    const std::vector<int64_t> alerts = probe->Stop(&r.alerts_missing);
    if (!alerts.empty()) {
      r.alert_p50 = double(alerts[alerts.size() / 2]);
      r.alert_p99 = double(alerts[alerts.size() * 99 / 100]);
    }
  }
  r.gbits = double(sum(&StrictRtspPlayer::bytes) - bytes0) * 8 / 1e9 / seconds;
  r.frames = sum(&StrictRtspPlayer::pictures) - pictures0;
  const uint64_t expected = uint64_t(players.size()) * kFps * uint64_t(seconds);
  r.lost = std::max<uint64_t>(sum(&StrictRtspPlayer::lost_packets) - lost0,
                              r.frames < expected * 98 / 100 ? expected - r.frames : 0);
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    r.p50 = double(latencies[latencies.size() / 2]);
    r.p99 = double(latencies[latencies.size() * 99 / 100]);
  }
  return r;
}

// N browsers' WebSockets (fMP4, /live/<camera>) read in this thread: bytes and router CPU.
Result WsViewers(System& sys, int n, int seconds, pid_t router) {
  const std::string base = sys.HttpBase();
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  const std::string cookie = "Cookie: " + sys.AdminCookie() + "\r\nOrigin: " + base + "\r\n";
  std::vector<int> fds;
  Result r;
  for (int i = 0; i < n; ++i) {
    const int fd = OpenWebSocket(port, std::string("/live/") + kCamera, cookie);
    if (fd < 0) {
      ++r.refused;
      continue;
    }
    fds.push_back(fd);
  }
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  auto warm_end = Clock::now() + std::chrono::seconds(3);
  auto end = warm_end + std::chrono::seconds(seconds);
  double cpu0 = -1;
  uint64_t bytes = 0;
  std::vector<char> buf(1 << 16);
  while (Clock::now() < end) {
    const bool measuring = Clock::now() >= warm_end;
    if (measuring && cpu0 < 0) cpu0 = CpuSeconds(router);
    poll(pfds.data(), pfds.size(), 50);
    for (auto& p : pfds) {
      if (!(p.revents & POLLIN)) continue;
      const ssize_t got = recv(p.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (got > 0 && measuring) bytes += uint64_t(got);
    }
  }
  for (int fd : fds) close(fd);
  r.cpu_cores = (CpuSeconds(router) - cpu0) / seconds;
  r.gbits = double(bytes) * 8 / 1e9 / seconds;
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
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a file
  std::vector<int> counts = {50, 200, 1000};
  std::string paths = ",raw,zmq,rtsp,ws,plain,merge,";  // --paths: which to run
  auto wanted = [&](const char* path) { return paths.find(std::string(",") + path + ",") != std::string::npos; };
  rlimit files{};  // a thousand viewers and their peers: more sockets than the usual 1,024
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  int seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
    if (a == "--paths") paths = std::string(",") + argv[i + 1] + ",";
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
  std::map<std::string, std::map<int, Result>> by_path;  // path → N → result
  struct Pass {
    const char* name;
    bool curve;
    int merge_ms;
  };
  for (const Pass pass : {Pass{"curve", true, 0}, Pass{"plain", false, 0}, Pass{"merge", true, kMergeMs}}) {
    const bool curve = pass.curve;
    if (!curve && !wanted("plain")) continue;
    if (pass.merge_ms > 0 && !wanted("merge")) continue;
    System sys(std::string("bench-live-fanout-") + pass.name);
    Keys keys;
    if (curve) {
      const std::string router_key = sys.RouterKeyFile();
      keys.worker = xl::LoadCurveClientKeys(sys.TrustKey("worker-bench", "worker", "bench"), router_key).value();
      keys.viewer = xl::LoadCurveClientKeys(sys.TrustKey("viewer", "user", "admin"), router_key).value();
    }
    std::vector<std::string> router_args = {"--rtsp-merge-ms", std::to_string(pass.merge_ms)};
    if (!curve) router_args.push_back("--insecure-no-curve");
    auto router = sys.StartRouter(router_args);
    if (!WaitUntil([&] { return sys.Api("GET", "/healthz").ok(); }, std::chrono::seconds(20))) return 1;
    sys.Api("POST", "/api/cameras",
            std::string(R"({"id":")") + kCamera + R"(","name":"bench","url":"rtsp://127.0.0.1:9/x"})");
    zmq::context_t ctx(1);
    ctx.set(zmq::ctxopt::max_sockets, 8192);  // two a viewer at N=1000 (its own and the video inbox)
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
    // The worker's delivery socket: the camera's codec now (message 1), alerts during the RTSP
    // runs (2, 3, …).
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    uint64_t alert_seq = 1;
    {
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
    // RTSP serves the camera once the router knows its codec (from the status above).
    WaitUntil(
        [&] {
          StrictRtspPlayer probe;
          const std::string url = sys.RelayUrl(kCamera, "");
          return probe.Open(std::stoi(url.substr(17, url.find('/', 17) - 17)), url, "admin", kAdminPassword);
        },
        std::chrono::seconds(30));
    for (int n : counts) {
      auto run = [&](const std::string& path, const Result& r) {
        print(n, path.c_str(), r);
        if (!r.threads.empty()) std::printf("       router CPU by thread (cores): %s\n", r.threads.c_str());
        if (r.alert_p50 >= 0) {
          std::printf("       alerts meanwhile, worker -> native client: p50 %.0f ms, p99 %.0f ms, missing %llu\n",
                      r.alert_p50, r.alert_p99, static_cast<unsigned long long>(r.alerts_missing));
        }
        by_path[path][n] = r;
        std::this_thread::sleep_for(std::chrono::seconds(2));
      };
      if (pass.merge_ms > 0) {
        run("rtsp-merge", RtspPlayers(sys.RelayUrl(kCamera, ""), n, seconds, router->pid()));
        continue;
      }
      if (curve && wanted("raw")) run("raw", RawCopy(units, n, seconds));
      if (!curve || wanted("zmq")) {
        run(curve ? "zmq-curve" : "zmq-plain", ZmqViewers(ctx, sys.ClientEndpoint(), keys, n, seconds, router->pid()));
        // The router serves departed native viewers until it notices they are gone: measured
        // after, so their cost is not counted against the next path.
        WaitUntil(
            [&] {
              auto m = xl::HttpCall("GET", sys.HttpBase() + "/metrics", "", "", 10, AsScraper());
              return m.ok() && m->body.find("\nxl_clients 0\n") != std::string::npos;
            },
            std::chrono::seconds(60));
      }
      if (!curve) continue;
      if (wanted("rtsp"))
        run("rtsp", RtspPlayers(sys.RelayUrl(kCamera, ""), n, seconds, router->pid(), [&] {
              return std::make_unique<AlertProbe>(ctx, dealer, sys.ClientEndpoint(), keys, alert_seq);
            }));
      if (wanted("ws")) run("ws", WsViewers(sys, n, seconds, router->pid()));
    }
    if (pass.merge_ms == 0 && curve && wanted("zmq")) {
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
  // Per added viewer: the CPU difference between viewer counts cancels fixed costs.
  std::printf("\n%-12s %-14s %18s\n", "path", "N → N'", "Gbit/s per added core");
  for (const auto& [path, results] : by_path) {
    for (auto it = results.begin(); std::next(it) != results.end(); ++it) {
      const Result &a = it->second, &b = std::next(it)->second;
      const double added = b.cpu_cores > a.cpu_cores ? (b.gbits - a.gbits) / (b.cpu_cores - a.cpu_cores) : 0;
      std::printf("%-12s %5d → %-6d %18.2f\n", path.c_str(), it->first, std::next(it)->first, added);
      if (path == "rtsp" || path == "rtsp-merge" || path == "ws") {
        char line[160];
        std::snprintf(line, sizeof line, " %s %d→%d: %.2f Gbit/s per added core;", path.c_str(), it->first,
                      std::next(it)->first, added);
        summary += line;
      }
    }
  }
  for (const auto& [n, c] : by_path["zmq-curve"]) {
    const Result& plain = by_path["zmq-plain"][n];
    // Router CPU per Gbit/s delivered, CURVE over plain: what encryption costs.
    const double cost = plain.per_core() > 0 && c.per_core() > 0 ? plain.per_core() / c.per_core() : 0;
    char line[200];
    std::snprintf(line, sizeof line, " N=%d: zmq CURVE costs %.2fx CPU per Gbit/s, p99 %.0f ms, lost %llu;", n, cost,
                  c.p99, static_cast<unsigned long long>(c.lost));
    summary += line;
  }
  for (const auto& [n, r] : by_path["rtsp"]) {
    char line[200];
    std::snprintf(line, sizeof line,
                  " N=%d: rtsp %.2f Gbit/s/core (merged %.2f), p99 %.0f ms, lost %llu, refused %d, alert p99 %.0f ms;",
                  n, r.per_core(), by_path["rtsp-merge"][n].per_core(), r.p99, static_cast<unsigned long long>(r.lost),
                  r.refused, r.alert_p99);
    summary += line;
  }
  std::printf("summary:%s goal rtsp >= 13 Gbit/s per added core, p99 <= 150 ms at 1000, CURVE <= 1.3x\n",
              summary.c_str());
  return 0;
}
