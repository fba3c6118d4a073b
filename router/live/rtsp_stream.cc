#include "router/live/rtsp_stream.h"

#include <glib.h>

namespace xl::router {

namespace {
constexpr size_t kMaxGopFrames = 600;  // as the relay's: a longer GOP is not cached past this

std::string AnnexB(const h26x::ParameterSets& ps) {
  std::string out;
  for (const std::string* s : {&ps.vps, &ps.sps, &ps.pps}) {
    if (!s->empty()) out += std::string("\0\0\0\1", 4) + *s;
  }
  return out;
}
}  // namespace

RtspStream::RtspStream(uint64_t serial, std::string camera, h26x::Codec codec, size_t senders, DeliverFn deliver)
    : serial_(serial),
      camera_(std::move(camera)),
      codec_(codec),
      deliver_(std::move(deliver)),
      subscribers_(senders, 0) {
  rtp_.ssrc = g_random_int();
  rtp_.next_seq = uint16_t(g_random_int());
}

bool RtspStream::Offer(const LiveFramePtr& live) {
  const wire::VideoFrame& v = live->video;
  const std::string& data = v.data();
  std::string prefix;
  if (v.keyframe()) {
    const h26x::ParameterSets found = h26x::FindParameterSets(codec_, data);
    std::lock_guard lock(mu_);
    if (found.complete(codec_)) {
      sets_ = found;
      parameter_sets_ = AnnexB(found);
    } else {
      prefix = parameter_sets_;  // a keyframe without them: players need them before it
    }
  }
  const int64_t us = v.pts_us() ? v.pts_us() : live->received_ms * 1000;
  auto frame = std::make_shared<RtspFrame>();
  frame->rtp = rtp::PackAccessUnit(codec_, data, prefix, uint32_t(uint64_t(us) * 9 / 100), rtp_);
  frame->stream = serial_;
  frame->index = next_index_++;
  frame->keyframe = v.keyframe();
  std::vector<size_t> to;
  {
    std::lock_guard lock(mu_);
    if (frame->keyframe) gop_.clear();
    if ((!gop_.empty() || frame->keyframe) && gop_.size() < kMaxGopFrames) gop_.push_back(frame);
    for (size_t i = 0; i < subscribers_.size(); ++i) {
      if (subscribers_[i] > 0) to.push_back(i);
    }
  }
  for (size_t sender : to) deliver_(sender, frame);
  return true;
}

void RtspStream::Refuse(std::string why) {
  std::lock_guard lock(mu_);
  refused_ = std::move(why);
}

std::optional<std::string> RtspStream::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

std::optional<std::string> RtspStream::Fmtp() const {
  std::lock_guard lock(mu_);
  if (!sets_.complete(codec_)) return std::nullopt;
  return rtp::SdpFmtp(codec_, sets_);
}

std::vector<RtspFramePtr> RtspStream::Subscribe(size_t sender) {
  std::lock_guard lock(mu_);
  ++subscribers_.at(sender);
  return gop_;
}

void RtspStream::Unsubscribe(size_t sender) {
  std::lock_guard lock(mu_);
  if (subscribers_.at(sender) > 0) --subscribers_[sender];
}

}  // namespace xl::router
