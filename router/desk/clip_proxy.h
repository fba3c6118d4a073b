// An event's clip for the desk: GET /api/desk/alerts/<id>/clip. Clips stay on the worker
// that recorded them (village links are thin; only what an operator opens crosses them), so
// the router fetches the clip from that worker's HTTP port without blocking its loop and
// passes it on (video/mp4; Range requests are answered from it).
//
// 401 without a session; 404 for an event the user may not see, one without a clip, or a
// clip not written yet (its post-capture still running) or deleted by retention; 502 when
// the worker cannot be reached or has no HTTP port. Runs on the router's loop thread.
#pragma once

#include <optional>
#include <string>

#include "common/http_client.h"
#include "common/http_server.h"
#include "router/desk/desk_api.h"
#include "router/workers/worker_control.h"

namespace xl::router {

class ClipProxy {
 public:
  ClipProxy(DeskApi& api, const WorkerControl& workers, int timeout_s)
      : api_(api), workers_(workers), fetcher_(timeout_s) {}

  // The event ID when `request` asks for a clip (GET /api/desk/alerts/<id>/clip).
  static std::optional<std::string> ClipRequest(const HttpRequest& request);
  // Answers the clip request through `respond`, now or once the worker has answered.
  void Serve(const HttpRequest& request, const std::string& event_id, HttpServer::Responder respond);

 private:
  DeskApi& api_;
  const WorkerControl& workers_;
  HttpFetcher fetcher_;
};

}  // namespace xl::router
