// An event's clip for the desk: GET /api/desk/alerts/<id>/clip. Clips stay on the worker
// that recorded them (village links are thin; only what an operator opens crosses them), so
// the router fetches the clip from that worker's HTTP port without blocking its loop and
// passes it on (video/mp4; Range requests are answered from it). An event raised below this
// router (its `site` set) has its clip fetched through the link to the child it came from
// (router/cascade/child_links.h RequestClip), which fetches it likewise, hop by hop.
//
// 401 without a session; 404 for an event the user may not see, one without a clip, or a
// clip not written yet (its post-capture still running) or deleted by retention; 502 when
// the worker cannot be reached or has no HTTP port. Runs on the router's loop thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/http_client.h"
#include "common/http_server.h"
#include "router/desk/desk_api.h"
#include "router/workers/worker_control.h"

namespace xl::router {

// A clip as fetched: status 200 with the MP4 in `body`, else the status the desk answers
// (404, 502, 504) and why in `reason`.
struct ClipResult {
  int status = 200;
  std::string reason;
  std::string body;
};
using ClipDone = std::function<void(ClipResult)>;

class ClipProxy {
 public:
  // Fetches the clip of event `event_id` of child router `site` (the first site of the
  // event's path) over the link.
  using FromChild = std::function<void(const std::string& site, const std::string& event_id, ClipDone done)>;

  ClipProxy(DeskApi& api, const WorkerControl& workers, int timeout_s)
      : api_(api), workers_(workers), fetcher_(timeout_s) {}

  // The event ID when `request` asks for a clip (GET /api/desk/alerts/<id>/clip).
  static std::optional<std::string> ClipRequest(const HttpRequest& request);
  // Answers the clip request through `respond`, now or once the worker has answered.
  void Serve(const HttpRequest& request, const std::string& event_id, HttpServer::Responder respond);
  // Fetches the clip at `place` (this router's worker, or through the link to the child the
  // event came from) and calls `done` once, on the loop thread.
  void Fetch(const DeskApi::ClipPlace& place, const std::string& event_id, ClipDone done);
  void SetFromChild(FromChild from_child) { from_child_ = std::move(from_child); }

 private:
  DeskApi& api_;
  const WorkerControl& workers_;
  HttpFetcher fetcher_;
  FromChild from_child_;
};

}  // namespace xl::router
