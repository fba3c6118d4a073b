// The desks' live feed: a WebSocket at /desk/feed (session cookie required; without one the
// socket gets {"error"} and closes with 4401). Each desk receives, as JSON text messages,
// only what lies inside its user's region:
//   {"type":"alert", "id", "camera", "camera_name", "region", "kind", "phase", "start_ms", "time_ms", "seq"}
//   {"type":"handling", "id", "camera", "region", "state", "step", "user"}
//   {"type":"camera", "id", "name", "region", "state", "reason", "faults": [...]}
//   {"type":"system", "problems": [{"key", "text", "since_ms"}]}  — the router's own problems
//      (system_problems.h), to every desk: when they change, and first thing on connecting
// New alerts reach every desk within the router's loop turn; handling steps taken at one desk
// appear at all others the same way.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/http_server.h"
#include "router/desk/user_store.h"
#include "xueliang.pb.h"

namespace xl::router {

class DeskFeed {
 public:
  DeskFeed(HttpServer& http, UserStore& users);
  ~DeskFeed();

  void OnAlert(const wire::LoggedAlert& logged);
  void OnCamera(const wire::Camera& camera);
  void OnHandling(const std::string& alert_id, const std::string& camera_id, const std::string& region,
                  const std::string& state, const std::string& step, const std::string& user);
  // The router's problems changed to `problems` (SystemProblems::Json()).
  void OnSystem(const nlohmann::json& problems);
  size_t desks() const { return desks_.size(); }

 private:
  struct Desk;
  void Open(const std::map<std::string, std::string>& cookies, SoupWebsocketConnection* conn);
  // Twice a second: closes every feed whose session ended (logout, expiry, user removed).
  static gboolean OnCheck(gpointer self);
  // Sends `text` to every open desk that sees (`region`, `camera_id`).
  void Send(const std::string& region, const std::string& camera_id, const std::string& text);

  UserStore& users_;
  std::map<SoupWebsocketConnection*, std::unique_ptr<Desk>> desks_;
  std::string system_;  // the last "system" message, sent to each desk that connects
  guint check_ = 0;
};

}  // namespace xl::router
