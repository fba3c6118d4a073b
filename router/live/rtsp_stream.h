// One camera as the RTSP re-serve sends it: a relay viewer that packetises each access unit
// once (RTP, laid out as interleaved frames: proto/media/rtp_h26x.h) and hands the same bytes
// to every player, on whichever sender thread serves it. Keeps the packetised GOP (from the
// last keyframe) for players that start, and the parameter sets for the SDP.
//
// Offer() runs on the router's loop; Subscribe()/Unsubscribe()/Describe() on sender threads.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proto/media/h26x.h"
#include "proto/media/rtp_h26x.h"
#include "router/live/live_relay.h"

namespace xl::router {

// An access unit ready to send, shared by every player of its stream.
struct RtspFrame {
  uint64_t stream = 0;  // the RtspStream's serial
  rtp::RtpAccessUnit rtp;
  uint64_t index = 0;  // per stream, +1 a frame
  bool keyframe = false;
};
using RtspFramePtr = std::shared_ptr<const RtspFrame>;

class RtspStream : public LiveViewer {
 public:
  // `deliver(sender, frame)` passes a new frame to sender thread `sender` (one of `senders`)
  // that has subscribers; it is called on the loop, outside the stream's lock.
  using DeliverFn = std::function<void(size_t sender, const RtspFramePtr& frame)>;
  // `serial` names this stream uniquely for the life of the process.
  RtspStream(uint64_t serial, std::string camera, h26x::Codec codec, size_t senders, DeliverFn deliver);

  bool Offer(const LiveFramePtr& frame) override;  // always takes it

  uint64_t serial() const { return serial_; }
  const std::string& camera() const { return camera_; }
  h26x::Codec codec() const { return codec_; }
  // The SDP media description's fmtp line's parameters (sprop-…) once a keyframe with
  // parameter sets came; nullopt before.
  std::optional<std::string> Fmtp() const;
  // The relay would not take this stream (its admission, router/live/live_relay.h: a link's
  // live budget), and why: set on the loop, read by the players' threads; such a stream never
  // gets a frame.
  void Refuse(std::string why);
  std::optional<std::string> refused() const;
  // Sender `sender` has one more player of this stream; returns the GOP cache (possibly
  // empty), oldest first. Frames delivered afterwards may repeat its last ones: a player
  // skips indexes it has.
  std::vector<RtspFramePtr> Subscribe(size_t sender);
  void Unsubscribe(size_t sender);

 private:
  const uint64_t serial_;
  const std::string camera_;
  const h26x::Codec codec_;
  const DeliverFn deliver_;
  rtp::RtpStreamState rtp_;  // loop thread only
  uint64_t next_index_ = 1;  // loop thread only
  mutable std::mutex mu_;
  std::vector<RtspFramePtr> gop_;
  std::string parameter_sets_;    // Annex B, from the last keyframe that had them
  h26x::ParameterSets sets_;      // the same, split
  std::vector<int> subscribers_;  // per sender
  std::optional<std::string> refused_;
};

}  // namespace xl::router
