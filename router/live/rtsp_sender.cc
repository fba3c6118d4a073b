#include "router/live/rtsp_sender.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"

namespace xl::router {

namespace {
constexpr int kTickMs = 100;  // timers of the players (a DESCRIBE waiting; the session timeout)
}

Result<std::unique_ptr<RtspSender>> RtspSender::Start(RtspPlayerEnv env, int merge_ms) {
  std::unique_ptr<RtspSender> s(new RtspSender(std::move(env), merge_ms));
  s->epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  s->wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epoll_ < 0 || s->wake_ < 0) return Internal("RTSP: cannot make a sender thread's epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->wake_;
  ::epoll_ctl(s->epoll_, EPOLL_CTL_ADD, s->wake_, &ev);
  s->thread_ = std::thread([p = s.get()] { p->Run(); });
  return s;
}

RtspSender::RtspSender(RtspPlayerEnv env, int merge_ms) : env_(std::move(env)), merge_ms_(merge_ms) {
  env_.skips = &skips_;
  env_.started = [this](RtspPlayer* p, RtspStream* s) { watching_[s->serial()].insert(p); };
  env_.stopped = [this](RtspPlayer* p, RtspStream* s) {
    auto it = watching_.find(s->serial());
    if (it == watching_.end()) return;
    it->second.erase(p);
    if (it->second.empty()) watching_.erase(it);
  };
}

RtspSender::~RtspSender() {
  stop_ = true;
  Post([] {});
  if (thread_.joinable()) thread_.join();
  if (wake_ >= 0) ::close(wake_);
  if (epoll_ >= 0) ::close(epoll_);
}

void RtspSender::Post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = tasks_.empty() && frames_.empty();
    tasks_.push_back(std::move(task));
  }
  if (was_empty) {
    const uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
  }
}

void RtspSender::Deliver(const RtspFramePtr& frame) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    was_empty = tasks_.empty() && frames_.empty();
    frames_.push_back(frame);
  }
  if (was_empty) {
    const uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
  }
}

void RtspSender::AddPlayer(int fd, std::string peer) {
  ++player_count_;
  Post([this, fd, peer = std::move(peer)] {
    auto player = std::make_unique<RtspPlayer>(fd, peer, env_, MonotonicMs());
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      --player_count_;
      return;  // the player closes the socket
    }
    players_[fd] = std::move(player);
  });
}

void RtspSender::CloseUsers(std::set<std::string> users) {
  Post([this, users = std::move(users)] {
    std::vector<RtspPlayer*> gone;
    for (auto& [fd, p] : players_) {
      if (users.count(p->user())) gone.push_back(p.get());
    }
    for (RtspPlayer* p : gone) Close(p);
  });
}

void RtspSender::RecheckAccess() {
  Post([this] {
    std::vector<RtspPlayer*> gone;
    for (auto& [fd, p] : players_) {
      if (!p->StillAllowed()) gone.push_back(p.get());
    }
    for (RtspPlayer* p : gone) Close(p);
  });
}

void RtspSender::Close(RtspPlayer* player) {
  dirty_.erase(player);
  writing_.erase(player);
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, player->fd(), nullptr);
  players_.erase(player->fd());  // its destructor stops its playing and closes the socket
  --player_count_;
}

void RtspSender::Settle(RtspPlayer* player, bool ok) {
  if (!ok) return Close(player);
  const bool want = player->wants_write();
  auto it = writing_.find(player);
  const bool has = it != writing_.end();
  if (want == has) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want ? uint32_t(EPOLLOUT) : 0u);
  ev.data.fd = player->fd();
  ::epoll_ctl(epoll_, EPOLL_CTL_MOD, player->fd(), &ev);
  if (want) {
    writing_[player] = true;
  } else {
    writing_.erase(it);
  }
}

void RtspSender::Run() {
  const std::string name = "xl-rtsp-" + std::to_string(env_.sender);  // as top and /proc show it
  pthread_setname_np(pthread_self(), name.c_str());
  int64_t last_tick = MonotonicMs(), next_merge = last_tick + merge_ms_;
  std::vector<std::function<void()>> tasks;
  std::vector<RtspFramePtr> frames;
  epoll_event events[256];
  while (!stop_) {
    int timeout = kTickMs;
    if (merge_ms_ > 0 && !dirty_.empty()) timeout = int(std::max<int64_t>(0, next_merge - MonotonicMs()));
    const int n = ::epoll_wait(epoll_, events, 256, timeout);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_) {
        uint64_t count;
        (void)!::read(wake_, &count, sizeof count);
        {
          std::lock_guard lock(mu_);
          tasks.swap(tasks_);
          frames.swap(frames_);
        }
        for (auto& task : tasks) task();
        tasks.clear();
        std::set<RtspPlayer*> fed;
        for (const RtspFramePtr& f : frames) {
          auto it = watching_.find(f->stream);
          if (it == watching_.end()) continue;
          for (RtspPlayer* p : it->second) {
            p->OnFrame(f);
            fed.insert(p);
          }
        }
        frames.clear();
        if (merge_ms_ > 0) {
          dirty_.insert(fed.begin(), fed.end());
        } else {
          for (RtspPlayer* p : fed) Settle(p, p->Flush());
        }
        continue;
      }
      auto it = players_.find(fd);
      if (it == players_.end()) continue;
      RtspPlayer* p = it->second.get();
      bool ok = true;
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ok = p->OnReadable(MonotonicMs());
      if (ok && (events[i].events & EPOLLOUT)) ok = p->Flush();
      if (ok) dirty_.erase(p);  // everything it had is on its way
      Settle(p, ok);
    }
    const int64_t now = MonotonicMs();
    if (merge_ms_ > 0 && now >= next_merge) {
      std::set<RtspPlayer*> dirty;
      dirty.swap(dirty_);
      for (RtspPlayer* p : dirty) Settle(p, p->Flush());
      next_merge = now + merge_ms_;
    }
    if (now - last_tick >= kTickMs) {
      last_tick = now;
      std::vector<std::pair<RtspPlayer*, bool>> results;
      for (auto& [fd, p] : players_) results.emplace_back(p.get(), p->OnTick(now));
      for (auto& [p, ok] : results) Settle(p, ok);
    }
  }
  // Players go on this thread: their destructors touch watching_.
  dirty_.clear();
  writing_.clear();
  players_.clear();
}

}  // namespace xl::router
