// The monitoring-room desk's REST API (docs/openapi.yaml): login with a session cookie,
// users (admin), and the alert desk — events inside the user's region with their handling
// state, an event's messages and history, and the steps of the handling loop.
//
//   POST /api/login {user, password}      → 200 + Set-Cookie xl_session (HttpOnly, SameSite=Strict); 401;
//                                           429 + Retry-After while failed logins back off (login_throttle.h)
//   POST /api/logout                      → 204
//   GET  /api/me                          → the session's user; 401
//   GET  /api/users, POST /api/users      → admin only (403 otherwise), inside the admin's region
//   PATCH /api/users/<name> {role, region, disabled, password}, DELETE /api/users/<name>
//                                         → admin only, not on their own account
//   POST /api/me/password {old_password, new_password} → 200 + a new session cookie; the old
//                                           sessions (other pages, sockets) end
//   GET  /api/desk/cameras                → the user's cameras: state, health, codec, PTZ
//   GET  /api/desk/tree                   → county → towns → villages → cameras, health counts per node;
//                                           the node of a child router's region has its `link`
//                                           {site, up, for_s}
//   GET  /api/desk/health                 → the user's unhealthy cameras, longest first
//   GET  /api/desk/system                 → {"problems": [{key, text, since_ms}]}: the router's own
//                                           (system_problems.h), e.g. its alert log's disk is full
//   GET  /api/desk/alerts[?kind=&state=&region=&limit=]
//   GET  /api/desk/alerts/<id>
//   GET  /api/desk/alerts/<id>/snapshot   → the event's latest snapshot (image/jpeg)
//   GET  /api/desk/alerts/<id>/clip       → the event's MP4 (router/desk/clip_proxy.h)
//   GET  /api/desk/recordings/…, /api/desk/exports… → router/recordings/recording_desk.h
//   POST /api/desk/ptz {camera, action, speed, preset} → a PTZ command to a GB28181 camera,
//                                                        here or below (down the links)
//   POST /api/desk/alerts/<id>/<ack|dispatch|handle|close> {note, unit}
//
// Every desk call needs a session (401 without); events outside the user's region are 404,
// as if they did not exist. Runs on the router's loop thread; password hashes (login, new
// users, new passwords) run off it, at most kMaxHashing at once (503 + Retry-After beyond).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_server.h"
#include "router/alerts/alert_log.h"
#include "router/desk/alert_desk.h"
#include "router/desk/login_throttle.h"
#include "router/desk/user_store.h"
#include "router/registry/camera_store.h"
#include "router/system_problems.h"
#include "router/workers/camera_states.h"

namespace xl::router {

class DeskApi {
 public:
  // A handling step was taken: (alert id, camera id, region, state, step, user).
  using StepFn = std::function<void(const std::string&, const std::string&, const std::string&, const std::string&,
                                    const std::string&, const std::string&)>;
  // A link to a router below (router/cascade/child_links.h), as the tree shows it on the node
  // of the region the child speaks for.
  struct SiteLink {
    std::string region;  // the prefix the child speaks for
    std::string site;
    bool up = false;
    int64_t since_ms = 0;  // monotonic: when it went up or down
  };
  struct Sources {
    UserStore& users;
    AlertDesk& desk;
    AlertLog& log;
    const CameraStore& store;
    const CameraStates& states;
    const SystemProblems& problems;
    std::map<std::string, std::string> region_names;  // region code → name, for the tree
    int64_t overdue_ms;                               // an event not acknowledged this long after it started is overdue
    StepFn on_step;
    std::function<Status(const wire::PtzCommand&)> ptz;  // passes a PTZ command on
    // A user was added, changed or removed (their sessions ended already): their other
    // connections (native clients, RTSP logins) must follow.
    std::function<void(const std::string& user)> on_user_changed;
    // The cameras of routers below (router/cascade/child_links.h): shown with the local ones,
    // with their site; "link_down" while a link to them is down.
    std::function<std::vector<wire::Camera>()> remote_cameras;
    // The region of a camera registered here or below; nullopt when there is none.
    std::function<std::optional<std::string>(const std::string& camera)> region_of;
    // The links to the routers below, and now on their clock (the tree's link nodes).
    std::function<std::vector<SiteLink>()> links;
    std::function<int64_t()> now_ms;
  };
  static constexpr int kMaxHashing = 2;  // password hashes running at once (64 MiB each)
  explicit DeskApi(Sources sources) : s_(std::move(sources)) {}

  // True for the paths Handle answers: /api/login, /api/logout, /api/me…, /api/users…,
  // /api/desk/….
  static bool Handles(const std::string& path);
  // Answers a request on one of those paths. Requests that hash a password are answered
  // later through `respond` (nullopt here); the rest at once (respond is not called).
  std::optional<HttpReply> Handle(const HttpRequest& request, const HttpServer::Responder& respond);
  // The user of the session cookie in `cookies`, while the session lives.
  std::optional<DeskUser> Authenticate(const std::map<std::string, std::string>& cookies);

  // Where event `id`'s clip is kept, for a user who may see the event: the worker that
  // recorded it and the path in its clips folder. Otherwise kNotFound (no such event for
  // this user, or it has no clip) or kInternal (the log cannot be read).
  // `site`: the path of child routers it was raised below ("" here: the clip is on `worker`).
  struct ClipPlace {
    std::string worker, path, site;
  };
  Result<ClipPlace> ClipOf(const std::string& id, const DeskUser& me);
  // The same for any event of the log, whoever asks (a parent router: it has them all).
  Result<ClipPlace> ClipOfEvent(const std::string& id);

 private:
  // Where the clip of event `id` (its messages `event`) is: the latest message naming one.
  static Result<ClipPlace> PlaceOf(const std::string& id, const std::vector<wire::LoggedAlert>& event);
  // What a password hash off the loop thread found or made.
  struct Hashed {
    bool matched = false;   // the password checked was right
    PasswordHashes hashes;  // of the new password, or (only rtsp_ha1) of the one checked
  };
  // Runs `work` off the loop thread, then `done` on it; false (nothing runs) when
  // kMaxHashing hashes are running already.
  bool OffLoop(std::function<Hashed()> work, std::function<void(Hashed)> done);
  static HttpReply Busy();
  // 429 with Retry-After for a caller the login throttle holds back `wait_ms` more.
  static HttpReply SlowDown(int64_t wait_ms, const std::string& why);
  std::optional<HttpReply> Login(const HttpRequest& request, const HttpServer::Responder& respond);
  std::optional<HttpReply> Users(const HttpRequest& request, const DeskUser& me, const HttpServer::Responder& respond);
  std::optional<HttpReply> ChangeUser(const HttpRequest& request, const std::string& name, const DeskUser& me,
                                      const HttpServer::Responder& respond);
  std::optional<HttpReply> ChangeOwnPassword(const HttpRequest& request, const DeskUser& me,
                                             const HttpServer::Responder& respond);
  void UserChanged(const std::string& name);
  HttpReply Alerts(const HttpRequest& request, const DeskUser& me);
  // The messages of event `id` when the user may see it; else the 404 (or 500) to answer.
  Result<std::vector<wire::LoggedAlert>> VisibleEvent(const std::string& id, const DeskUser& me);
  HttpReply Alert(const std::string& id, const DeskUser& me);
  HttpReply Step(const std::string& id, const std::string& step, const HttpRequest& request, const DeskUser& me);
  // Every camera `me` sees, local and below (remote_cameras), as the desk shows one.
  std::vector<nlohmann::json> VisibleCameras(const DeskUser& me) const;
  HttpReply Cameras(const DeskUser& me);
  HttpReply Snapshot(const std::string& id, const DeskUser& me);
  HttpReply Ptz(const HttpRequest& request, const DeskUser& me);
  HttpReply Tree(const DeskUser& me);
  HttpReply Health(const DeskUser& me);

  Sources s_;
  LoginThrottle throttle_;
  int hashing_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // answers that come back after us are dropped
};

}  // namespace xl::router
