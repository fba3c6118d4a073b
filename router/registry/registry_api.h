// The registry's operations as the REST API exposes them (JSON in, JSON out), apart from
// HTTP itself. Credentials are accepted but never returned: a set password reads "***".
// Reads are scoped: a caller inside a region sees only the cameras of that region.
//
//   GET    /api/cameras[?region=P]   list (with state and health)
//   GET    /api/cameras/ID           one camera
//   POST   /api/cameras              add   {id, name, url, region?, username?, password?,
//                                           enabled?, profile?}          201 / 400 / 409
//   PUT    /api/cameras/ID           change any of those fields but id   200 / 400 / 404
//   DELETE /api/cameras/ID           remove                               200 / 404
//   POST   /api/import[?dry_run=1]   CSV body (router/camera_csv.h)       200 / 400 / 413
//   GET    /api/workers              workers, liveness, load (the router lets only admins ask)
//   GET    /api/status               every camera sorted by trouble, and totals
// Errors are {"error": "reason"}.
// Thread: the router's one loop thread only (router/router.h); not thread-safe.
#pragma once

#include <functional>
#include <string>

#include "common/http_server.h"
#include "router/registry/camera_store.h"
#include "router/workers/camera_states.h"
#include "router/workers/worker_control.h"

namespace xl::router {

class RegistryApi {
 public:
  // `on_removed` is told the ID of each camera removed from the registry.
  RegistryApi(CameraStore& store, WorkerControl& control, CameraStates& states,
              std::function<void(const std::string&)> on_removed);

  // `scope`: the caller's region (a code prefix; "" for everything). Cameras outside it are
  // left out of lists and are 404 one by one.
  HttpReply Handle(const HttpRequest& request, const std::string& scope = "");

 private:
  HttpReply ListCameras(const HttpRequest& request, const std::string& scope);
  HttpReply GetCamera(const std::string& id, const std::string& scope = "");
  // Writes by a caller scoped to a region stay inside it (403, or 404 for cameras outside).
  HttpReply AddCamera(const std::string& body, const std::string& scope);
  HttpReply SetCamera(const std::string& id, const std::string& body, const std::string& scope);
  HttpReply RemoveCamera(const std::string& id, const std::string& scope);
  HttpReply Import(const HttpRequest& request, const std::string& scope);
  HttpReply Workers();
  HttpReply StatusReport(const std::string& scope);

  CameraStore& store_;
  WorkerControl& control_;
  CameraStates& states_;
  std::function<void(const std::string&)> on_removed_;
};

}  // namespace xl::router
