// The keys the router seals native viewers' live video with (proto/wire/sealed_video.h): one
// per camera, made when first needed. Rotate() replaces them all, so a client that lost its
// access cannot open what follows even if it still sees the traffic.
// Thread: the router's one loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "router/live/live_relay.h"
#include "xueliang.pb.h"

namespace xl::router {

class VideoKeys {
 public:
  // The current key of `camera`.
  const wire::VideoKey& Key(const std::string& camera);
  // Every camera gets a new key now.
  void Rotate();
  // `frame` sealed under its camera's current key: sealed once per frame and key, then shared.
  std::shared_ptr<const std::string> Sealed(const LiveFrame& frame);
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, wire::VideoKey> keys_;  // by camera
  uint32_t next_id_ = 1;
};

}  // namespace xl::router
