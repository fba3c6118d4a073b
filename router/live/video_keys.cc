#include "router/live/video_keys.h"

#include "proto/wire/sealed_video.h"

namespace xl::router {

const wire::VideoKey& VideoKeys::Key(const std::string& camera) {
  auto it = keys_.find(camera);
  if (it == keys_.end()) it = keys_.emplace(camera, NewVideoKey(camera, next_id_++)).first;
  return it->second;
}

void VideoKeys::Rotate() {
  for (auto& [camera, key] : keys_) key = NewVideoKey(camera, next_id_++);
}

std::shared_ptr<const std::string> VideoKeys::Sealed(const LiveFrame& frame) {
  const wire::VideoKey& key = Key(frame.video.camera_id());
  if (!frame.sealed || frame.sealed_key_id != key.key_id()) {
    frame.sealed = std::make_shared<const std::string>(SealVideoFrame(frame.serialized_video(), key));
    frame.sealed_key_id = key.key_id();
  }
  return frame.sealed;
}

}  // namespace xl::router
