// Recordings on the desk's API: the router authorises (session, region) and relays what the
// workers keep (ingest/recording/recording_api.h), as for clips. A camera's recordings may
// lie on several workers (it moved): every worker with an HTTP port is asked.
//
//   GET  /api/desk/recordings/<camera>?from=MS&to=MS
//        → {camera, from_ms, to_ms, ranges: [{from_ms, to_ms}], gaps: [{from_ms, to_ms, reason}],
//           segments: [{worker, start_ms, end_ms, bytes, codec, open}], alerts: [{id, kind,
//           start_ms, ended, state}], device_records: [{from_ms, to_ms, name, type, worker}]
//           (what a GB/T 28181 camera's own device keeps), device_notes: [{worker, note}],
//           unreachable: [{worker, reason}]}      (range ≤ 31 days)
//   GET  /api/desk/recordings/<camera>/mp4?from=MS&to=MS[&keyframes=1]
//        → the range as one fragmented MP4 (video/mp4), from the keyframe at or before `from`;
//          header X-Start-Ms: the wall clock of its first frame (time 0 in the file)
//   POST /api/desk/recordings/<camera>/download {from_ms, to_ms, speed}
//        → 202 {id, state, ...}: the worker that runs the GB/T 28181 camera copies that range of
//          its device's own recording into ours (ingest/gb28181/device_downloads.h; ≤ 6 h,
//          speed 1–16, default 4); 404 for a camera that is no device's channel
//   GET  /api/desk/recordings/<camera>/downloads → {downloads: [...]}: running and recent
//   POST /api/desk/exports {camera, from_ms, to_ms}
//        → 201 + the export's manifest (router/recordings/export_log.h); written to the audit log
//   GET  /api/desk/exports                 → the newest exports of cameras the user sees
//   GET  /api/desk/exports/<id>.mp4 | .json → the file, or its manifest
//
// Times are wall-clock milliseconds; an MP4 range is at most 30 minutes. 401 without a
// session; 404 for a camera (or export) outside the user's region, as if it did not exist;
// 409 when the range spans two workers' recordings, or for a camera of a router below (played
// at its site); 503 when the worker holding it cannot be reached. Runs on the router's loop thread; files are hashed
// and written off it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "common/http_server.h"
#include "router/alerts/alert_log.h"
#include "router/desk/alert_desk.h"
#include "router/desk/desk_api.h"
#include "router/recordings/export_log.h"
#include "router/recordings/timeline.h"
#include "router/workers/worker_control.h"

namespace xl::router {

class RecordingDesk {
 public:
  struct Sources {
    DeskApi& desk;  // sessions
    const WorkerControl& workers;
    AlertLog& log;
    AlertDesk& handling;
    ExportLog& exports;
    // The region of a camera registered here or below; nullopt when there is none.
    std::function<std::optional<std::string>(const std::string& camera)> region_of;
    // True for a camera registered at this router (its recordings are on its workers).
    std::function<bool(const std::string& camera)> local;
    // The worker a camera registered here runs on ("" when none).
    std::function<std::string(const std::string& camera)> worker_of;
  };
  static constexpr int64_t kMaxTimelineMs = 31LL * 24 * 3600 * 1000;
  static constexpr int64_t kMaxMp4Ms = 30LL * 60 * 1000;

  RecordingDesk(Sources sources, int timeout_s) : s_(std::move(sources)), fetcher_(timeout_s) {}

  // True for the paths Serve answers.
  static bool Handles(const HttpRequest& request);
  // True when the session in `cookies` may play `camera`'s recordings (as Serve decides).
  bool MayPlay(const std::map<std::string, std::string>& cookies, const std::string& camera);
  void Serve(const HttpRequest& request, HttpServer::Responder respond);

  struct Found {
    std::vector<WorkerSegment> segments;
    std::vector<DeviceRecord> device;                       // with_device: what the camera's GB/T 28181 device keeps
    nlohmann::json device_notes = nlohmann::json::array();  // [{worker, note}]: a device's answer incomplete
    nlohmann::json unreachable = nlohmann::json::array();   // [{worker, reason}]: workers not asked
  };
  // Every worker's segments of `camera` overlapping [from_ms, to_ms) (and, `with_device`, the
  // recordings its device keeps, asked by the worker that runs it); `done` runs once, on the
  // loop thread.
  using SegmentsDone = std::function<void(Found)>;
  void FetchSegments(const std::string& camera, int64_t from_ms, int64_t to_ms, SegmentsDone done,
                     bool with_device = false);

  // A range of a recording as one fMP4 (RecordingStore::Mp4 on the worker), with the segments
  // it came from when they were looked up.
  struct Mp4 {
    std::string worker, body;
    int64_t start_ms = 0;  // wall clock of its first frame (its time 0)
    std::vector<WorkerSegment> segments;
  };
  using Mp4Done = std::function<void(Result<Mp4>)>;
  // A call on the device playbacks of the worker that runs GB/T 28181 camera `camera`
  // (ingest/gb28181/device_playbacks.h): `method` on "/recordings/<camera>/device-playback"
  // + `tail`. `done` runs once on the loop thread with the worker's reply (any status), or an
  // error when no worker runs the camera or none answered.
  void DevicePlaybackCall(const std::string& camera, const char* method, const std::string& tail,
                          HttpFetcher::Done done);

  // From `worker`, which holds that range; `done` runs once, on the loop thread (not after
  // this object is gone).
  void FetchMp4From(const std::string& worker, const std::string& camera, int64_t from_ms, int64_t to_ms,
                    bool keyframes_only, Mp4Done done);

 private:
  // From the one worker that holds the range (409 when several do, naming their parts).
  void FetchMp4(const std::string& camera, int64_t from_ms, int64_t to_ms, bool keyframes_only, Mp4Done done);
  // The camera's region when `me` may see its recordings; else the reply to give.
  Result<std::string> Visible(const std::string& camera, const DeskUser& me) const;
  void Timeline(const std::string& camera, int64_t from_ms, int64_t to_ms, HttpServer::Responder respond);
  void Export(const HttpRequest& request, const DeskUser& me, HttpServer::Responder respond);
  // The worker that runs `camera` and its HTTP URL; kUnavailable when none the router can reach.
  Result<std::pair<std::string, std::string>> RunningWorker(const std::string& camera) const;
  // POST …/download, GET …/downloads: relayed to the worker that runs the camera.
  void Download(const std::string& camera, bool start, const HttpRequest& request, const DeskUser& me,
                HttpServer::Responder respond);
  HttpReply Exports(const DeskUser& me);
  void ExportFile(const std::string& name, const DeskUser& me, HttpServer::Responder respond);

  Sources s_;
  HttpFetcher fetcher_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // off-loop work that ends after us is dropped
};

}  // namespace xl::router
