// The worker's downloads of device recordings (DeviceDownload), on its HTTP port for the
// router (RecordingApi passes these paths on):
//
//   POST /recordings/<camera>/download?from=MS&to=MS[&speed=N]
//        → 202 {id, camera, from_ms, to_ms, speed, state, ...} (DeviceDownload::Json);
//          400 for a bad range or speed, 404 when the camera is no GB/T 28181 channel here,
//          409 while a download of that camera runs, 503 when its device cannot be called
//   GET  /recordings/<camera>/downloads → {"downloads": [...]}: running and recent, newest first
//
// One download per camera at a time; the last kKeptEnded ended ones are listed. Main loop
// thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/http_server.h"
#include "ingest/gb28181/device_download.h"

namespace xl::gb28181 {

class DeviceDownloads {
 public:
  static constexpr size_t kKeptEnded = 20;
  // A camera's settings and channel when it is a GB/T 28181 channel running here.
  struct Channel {
    camera::CameraConfig camera;
    GbChannelAddress address;
  };
  using ChannelOf = std::function<std::optional<Channel>(const std::string& camera)>;
  // `sip` and `store` must outlive it.
  DeviceDownloads(SipServer& sip, ingest::RecordingStore& store, ChannelOf channel_of, int video_nice)
      : sip_(sip), store_(store), channel_of_(std::move(channel_of)), video_nice_(video_nice) {}

  // Answers `rest` ("<camera>/download" or "<camera>/downloads"; the token is checked);
  // nullopt when the path is not one of these.
  std::optional<HttpReply> Serve(const std::string& rest, const HttpRequest& request);
  // Advances every download (call a few times a second).
  void Tick();

 private:
  SipServer& sip_;
  ingest::RecordingStore& store_;
  ChannelOf channel_of_;
  int video_nice_;
  uint64_t serial_ = 0;
  std::map<uint64_t, std::unique_ptr<DeviceDownload>> downloads_;  // by serial: oldest first
};

}  // namespace xl::gb28181
