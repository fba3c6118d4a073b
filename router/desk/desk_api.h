// The monitoring-room desk's REST API (docs/openapi.yaml): login with a session cookie,
// users (admin), and the alert desk — events inside the user's region with their handling
// state, an event's messages and history, and the steps of the handling loop.
//
//   POST /api/login {user, password}      → 200 + Set-Cookie xl_session (HttpOnly, SameSite=Strict); 401
//   POST /api/logout                      → 204
//   GET  /api/me                          → the session's user; 401
//   GET  /api/users, POST /api/users      → admin only (403 otherwise)
//   GET  /api/desk/alerts[?kind=&state=&limit=]
//   GET  /api/desk/alerts/<id>
//   POST /api/desk/alerts/<id>/<ack|dispatch|handle|close> {note, unit}
//
// Every desk call needs a session (401 without); events outside the user's region are 404,
// as if they did not exist. Runs on the router's loop thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "router/alert_log.h"
#include "router/desk/alert_desk.h"
#include "router/desk/user_store.h"
#include "xl/http_server.h"

namespace xl::router {

class DeskApi {
 public:
  // `overdue_ms`: an event not acknowledged this long after it started is overdue.
  DeskApi(UserStore& users, AlertDesk& desk, AlertLog& log, int64_t overdue_ms)
      : users_(users), desk_(desk), log_(log), overdue_ms_(overdue_ms) {}

  // Handles /api/login, /api/logout, /api/me, /api/users and /api/desk/...; nullopt for
  // any other path.
  std::optional<HttpReply> Handle(const HttpRequest& request);

 private:
  HttpReply Login(const HttpRequest& request);
  HttpReply Users(const HttpRequest& request, const DeskUser& me);
  HttpReply Alerts(const HttpRequest& request, const DeskUser& me);
  HttpReply Alert(const std::string& id, const DeskUser& me);
  HttpReply Step(const std::string& id, const std::string& step, const HttpRequest& request, const DeskUser& me);
  // The session's user, from the xl_session cookie.
  std::optional<DeskUser> SessionOf(const HttpRequest& request);

  UserStore& users_;
  AlertDesk& desk_;
  AlertLog& log_;
  int64_t overdue_ms_;
};

}  // namespace xl::router
