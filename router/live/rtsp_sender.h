// A sender thread of the RTSP re-serve: serves its share of the players (router/live/
// rtsp_player.h) from one epoll loop — their requests, their replies and their video — so
// players spread over the cores and the router's loop stays free for alerts and control.
// Frames come from the streams (router/live/rtsp_stream.h) already packetised, shared by
// every player; the per-player work is the socket write.
//
// With merge_ms > 0, writes are batched: a player's frames are written at most every merge_ms
// (several frames in one writev), trading that much latency for fewer system calls.
//
// Thread: the public methods may be called from any thread; everything else runs on its own.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "router/live/rtsp_player.h"

namespace xl::router {

class RtspSender {
 public:
  // `env.sender` is this sender's index; env.started/stopped are set here.
  static Result<std::unique_ptr<RtspSender>> Start(RtspPlayerEnv env, int merge_ms);
  ~RtspSender();  // stops the thread; closes its players

  // Takes `fd` (a connected TCP socket) as a new player.
  void AddPlayer(int fd, std::string peer);
  // A new frame of a stream some of its players play.
  void Deliver(const RtspFramePtr& frame);
  // Closes the players logged in as any of `users`.
  void CloseUsers(std::set<std::string> users);
  // Closes the players whose user may no longer see their camera (RtspAccess).
  void RecheckAccess();
  size_t players() const { return player_count_; }
  uint64_t skips() const { return skips_; }

 private:
  explicit RtspSender(RtspPlayerEnv env, int merge_ms);
  void Post(std::function<void()> task);
  void Run();
  void Close(RtspPlayer* player);
  // After work on `player`: closes it when `ok` is false, else keeps its epoll interest in
  // step with whether it has bytes to write.
  void Settle(RtspPlayer* player, bool ok);

  RtspPlayerEnv env_;
  const int merge_ms_;
  int epoll_ = -1, wake_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> player_count_{0};
  std::atomic<uint64_t> skips_{0};  // its players' skips to a keyframe

  std::mutex mu_;  // guards the two inboxes
  std::vector<std::function<void()>> tasks_;
  std::vector<RtspFramePtr> frames_;

  // The sender thread's own.
  std::map<int, std::unique_ptr<RtspPlayer>> players_;  // by fd
  std::map<RtspPlayer*, bool> writing_;                 // players with EPOLLOUT interest
  std::map<uint64_t, std::set<RtspPlayer*>> watching_;  // stream serial → its players here
  std::set<RtspPlayer*> dirty_;                         // with frames to write at the next merge
};

}  // namespace xl::router
