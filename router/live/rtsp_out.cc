#include "router/live/rtsp_out.h"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "common/clock.h"

namespace xl::router {

namespace {
constexpr int kAcceptsPerTurn = 64;
constexpr int kPlayerSendBuffer = 256 << 10;
}  // namespace

RtspOut::RtspOut(LiveRelay& relay, const RtspOutConfig& config) : relay_(relay), max_players_(config.max_players) {
  settings_.address = config.address;
  settings_.session_timeout_s = config.session_timeout_s;
}

Result<std::unique_ptr<RtspOut>> RtspOut::Start(const RtspOutConfig& config, LiveRelay& relay,
                                                RecordingOpener open_recording) {
  std::unique_ptr<RtspOut> out(new RtspOut(relay, config));
  const std::string where = config.address + ":" + std::to_string(config.port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(config.port));
  if (::inet_pton(AF_INET, config.address.c_str(), &addr.sin_addr) != 1) {
    return Error{"RTSP: '" + config.address + "' is not an IPv4 address"};
  }
  out->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(out->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (out->listen_fd_ < 0 || ::bind(out->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(out->listen_fd_, 1024) != 0) {
    return Unavailable("cannot listen for RTSP on " + where + ": " + std::strerror(errno));
  }
  socklen_t n = sizeof addr;
  ::getsockname(out->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &n);
  out->port_ = ntohs(addr.sin_port);
  const size_t threads = config.threads > 0 ? size_t(config.threads) : std::max(1u, g_get_num_processors());
  for (size_t i = 0; i < threads; ++i) {
    RtspPlayerEnv env;
    env.access = out->access_.get();
    env.settings = &out->settings_;
    env.sender = i;
    env.acquire = [o = out.get()](const std::string& camera, h26x::Codec codec) { return o->Acquire(camera, codec); };
    env.open_recording = open_recording;
    auto sender = RtspSender::Start(std::move(env), config.merge_ms);
    if (!sender.ok()) return sender.error();
    out->senders_.push_back(std::move(sender.value()));
  }
  out->accept_source_ = g_unix_fd_add(out->listen_fd_, G_IO_IN, &RtspOut::OnAccept, out.get());
  out->prune_source_ = g_timeout_add(1000, &RtspOut::OnPrune, out.get());
  return out;
}

RtspOut::~RtspOut() {
  if (accept_source_) g_source_remove(accept_source_);
  if (resume_source_) g_source_remove(resume_source_);
  if (prune_source_) g_source_remove(prune_source_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  {
    std::lock_guard lock(streams_mu_);
    for (Entry& e : streams_) {
      if (e.in_relay) relay_.Remove(e.stream.get(), MonotonicMs());
    }
  }
  senders_.clear();  // joins the threads; their players go, and with them the streams they held
}

gboolean RtspOut::OnAccept(gint fd, GIOCondition, gpointer self) {
  auto* out = static_cast<RtspOut*>(self);
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    sockaddr_in peer{};
    socklen_t n = sizeof peer;
    const int player = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &n, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (player < 0 && (errno == EMFILE || errno == ENFILE)) {
      // Out of file descriptors: the pending connection stays readable, so accepting again at
      // once would spin. Paused for a second (the players wait in the backlog meanwhile).
      spdlog::error("RTSP: cannot accept players: out of file descriptors (raise `ulimit -n`); paused for 1 s");
      out->accept_source_ = 0;
      out->resume_source_ = g_timeout_add_once(
          1000,
          [](gpointer self) {
            auto* o = static_cast<RtspOut*>(self);
            o->resume_source_ = 0;
            o->accept_source_ = g_unix_fd_add(o->listen_fd_, G_IO_IN, &RtspOut::OnAccept, o);
          },
          out);
      return G_SOURCE_REMOVE;
    }
    if (player < 0) break;
    char host[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &peer.sin_addr, host, sizeof host);
    const std::string name = std::string(host) + ":" + std::to_string(ntohs(peer.sin_port));
    if (out->players() >= out->max_players_) {
      spdlog::warn("RTSP: refused player {}: {} players already (rtsp max_players)", name, out->max_players_);
      ::close(player);
      continue;
    }
    const int one = 1, sndbuf = kPlayerSendBuffer;
    ::setsockopt(player, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A fixed kernel buffer (Linux would grow it to 4 MiB for a player that does not read):
    // a slow player's backlog is then ours to see (max_queued_bytes) and skip.
    ::setsockopt(player, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    RtspSender* least = out->senders_.front().get();
    for (auto& s : out->senders_) {
      if (s->players() < least->players()) least = s.get();
    }
    least->AddPlayer(player, name);
  }
  return G_SOURCE_CONTINUE;
}

std::shared_ptr<RtspStream> RtspOut::Acquire(const std::string& camera, h26x::Codec codec) {
  std::lock_guard lock(streams_mu_);
  for (const Entry& e : streams_) {
    if (e.stream->camera() == camera && e.stream->codec() == codec) return e.stream;
  }
  auto stream = std::make_shared<RtspStream>(
      next_serial_++, camera, codec, senders_.size(),
      [this](size_t sender, const RtspFramePtr& frame) { senders_[sender]->Deliver(frame); });
  streams_.push_back(Entry{stream, false});
  // The relay is the loop's: the stream joins it there (and is pruned only after).
  auto add = [this, alive = std::weak_ptr<int>(alive_), stream] {
    if (alive.expired()) return;
    auto why = relay_.Add(stream->camera(), stream.get(), "rtsp", MonotonicMs());
    std::lock_guard lock(streams_mu_);
    if (why) {  // its players are told (453); the next DESCRIBE asks again
      stream->Refuse(std::move(*why));
      std::erase_if(streams_, [&](const Entry& e) { return e.stream == stream; });
      return;
    }
    for (Entry& e : streams_) {
      if (e.stream == stream) e.in_relay = true;
    }
  };
  using Add = decltype(add);
  // Always queued (g_main_context_invoke would run it here, at once, on a thread that may own
  // no loop — and holds streams_mu_).
  g_idle_add_full(
      G_PRIORITY_DEFAULT,
      [](gpointer p) -> gboolean {
        (*static_cast<Add*>(p))();
        return G_SOURCE_REMOVE;
      },
      new Add(std::move(add)), [](gpointer p) { delete static_cast<Add*>(p); });
  return stream;
}

gboolean RtspOut::OnPrune(gpointer self) {
  auto* out = static_cast<RtspOut*>(self);
  std::lock_guard lock(out->streams_mu_);
  std::erase_if(out->streams_, [&](const Entry& e) {
    if (!e.in_relay || e.stream.use_count() > 1) return false;  // a player holds it, or it is joining
    out->relay_.Remove(e.stream.get(), MonotonicMs());
    return true;
  });
  return G_SOURCE_CONTINUE;
}

size_t RtspOut::players() const {
  size_t n = 0;
  for (const auto& s : senders_) n += s->players();
  return n;
}

uint64_t RtspOut::skips() const {
  uint64_t n = 0;
  for (const auto& s : senders_) n += s->skips();
  return n;
}

void RtspOut::SetLogins(const std::vector<UserStore::RtspLogin>& logins) {
  std::map<std::string, UserStore::RtspLogin> next;
  for (const auto& l : logins) next[l.name] = l;
  std::set<std::string> gone;  // users whose players must log in again, or not at all
  for (const auto& [name, old] : logins_) {
    auto it = next.find(name);
    if (it == next.end() || it->second.ha1 != old.ha1 || it->second.region != old.region) gone.insert(name);
  }
  std::map<std::string, RtspAccess::Login> users;
  for (const auto& [name, l] : next) users[name] = RtspAccess::Login{l.ha1, l.region};
  access_->SetUsers(std::move(users));
  logins_ = std::move(next);
  if (gone.empty()) return;
  for (auto& s : senders_) s->CloseUsers(gone);
  for (const std::string& name : gone) spdlog::info("RTSP: players of user {} disconnected (user changed)", name);
}

void RtspOut::SetCameras(const std::map<std::string, RtspCamera>& cameras) {
  std::map<std::string, RtspAccess::Camera> next;
  for (const auto& [id, c] : cameras) {
    if (c.codec == "h264" || c.codec == "h265" || c.local) next[id] = RtspAccess::Camera{c.codec, c.region, c.local};
  }
  if (next == cameras_) return;
  cameras_ = next;
  access_->SetCameras(std::move(next));
  for (auto& s : senders_) s->RecheckAccess();
}

}  // namespace xl::router
