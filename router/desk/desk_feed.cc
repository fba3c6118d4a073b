#include "router/desk/desk_feed.h"
#include "common/json_text.h"

#include <libsoup/soup.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "proto/wire/wire.h"

namespace xl::router {

namespace {
constexpr int kCloseNoSession = 4401;
}

struct DeskFeed::Desk {
  SoupWebsocketConnection* conn = nullptr;  // owned: one reference
  DeskUser user;
  std::string token;  // its session, checked once a second
  ~Desk() {
    if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    }
    g_object_unref(conn);
  }
};

DeskFeed::DeskFeed(HttpServer& http, UserStore& users)
    : users_(users), system_(JsonText(nlohmann::json{{"type", "system"}, {"problems", nlohmann::json::array()}})) {
  check_ = g_timeout_add(500, &DeskFeed::OnCheck, this);
  http.WebSocket("/desk/feed", [this](const std::string&, const std::map<std::string, std::string>& cookies,
                                      SoupWebsocketConnection* conn) { Open(cookies, conn); });
}

DeskFeed::~DeskFeed() {
  if (check_) g_source_remove(check_);
  for (auto& [conn, desk] : desks_) g_signal_handlers_disconnect_by_data(conn, this);
}

void DeskFeed::Open(const std::map<std::string, std::string>& cookies, SoupWebsocketConnection* conn) {
  auto token = cookies.find("xl_session");
  auto user = token == cookies.end() ? std::nullopt : users_.SessionUser(token->second, NowMs());
  if (!user) {
    soup_websocket_connection_send_text(conn, "{\"error\":\"log in first (POST /api/login)\"}");
    soup_websocket_connection_close(conn, kCloseNoSession, "no session");
    g_object_unref(conn);
    return;
  }
  auto desk = std::make_unique<Desk>();
  desk->conn = conn;
  desk->user = *user;
  desk->token = token->second;
  g_signal_connect(conn, "closed", G_CALLBACK(+[](SoupWebsocketConnection* c, gpointer self) {
                     static_cast<DeskFeed*>(self)->desks_.erase(c);
                   }),
                   this);
  desks_[conn] = std::move(desk);
  soup_websocket_connection_send_text(conn, JsonText(nlohmann::json{{"type", "hello"}, {"user", user->name}}).c_str());
  soup_websocket_connection_send_text(conn, system_.c_str());
}

gboolean DeskFeed::OnCheck(gpointer self) {
  auto* feed = static_cast<DeskFeed*>(self);
  std::map<std::string, bool> live;  // by token: tiles of one page share a session
  std::vector<SoupWebsocketConnection*> ended;
  for (auto& [conn, desk] : feed->desks_) {
    auto [it, fresh] = live.emplace(desk->token, false);
    if (fresh) it->second = feed->users_.SessionUser(desk->token, NowMs()).has_value();
    if (!it->second) ended.push_back(conn);
  }
  for (SoupWebsocketConnection* conn : ended) {
    if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_close(conn, kCloseNoSession, "session ended");
    }
  }
  return G_SOURCE_CONTINUE;
}

void DeskFeed::Send(const std::string& region, const std::string& camera_id, const std::string& text) {
  for (auto& [conn, desk] : desks_) {
    if (soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN) continue;
    if (Sees(desk->user, region, camera_id)) soup_websocket_connection_send_text(conn, text.c_str());
  }
}

void DeskFeed::OnAlert(const wire::LoggedAlert& logged) {
  if (desks_.empty()) return;
  const wire::Alert& a = logged.alert();
  Send(a.region(), a.camera_id(),
       JsonText(nlohmann::json{{"type", "alert"},
                               {"id", a.id()},
                               {"camera", a.camera_id()},
                               {"camera_name", a.camera_name()},
                               {"site", a.site()},
                               {"region", a.region()},
                               {"kind", KindName(a.kind())},
                               {"labels", std::vector<std::string>(a.labels().begin(), a.labels().end())},
                               {"phase", PhaseName(a.phase())},
                               {"start_ms", a.start_ms()},
                               {"time_ms", a.time_ms()},
                               {"seq", logged.seq()},
                               {"clip", a.clip_path()},
                               {"end_reason", a.end_reason()}}));
}

void DeskFeed::OnSystem(const nlohmann::json& problems) {
  system_ = JsonText(nlohmann::json{{"type", "system"}, {"problems", problems}});
  for (auto& [conn, desk] : desks_) {
    if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_send_text(conn, system_.c_str());
    }
  }
}

void DeskFeed::OnCamera(const wire::Camera& c) {
  if (desks_.empty()) return;
  nlohmann::json faults = nlohmann::json::array();
  for (int k : c.faults()) faults.push_back(KindName(wire::AlertKind(k)));
  Send(c.region(), c.id(),
       JsonText(nlohmann::json{{"type", "camera"},
                               {"id", c.id()},
                               {"name", c.name()},
                               {"region", c.region()},
                               {"state", StateName(c.state())},
                               {"reason", c.reason()},
                               {"faults", faults}}));
}

void DeskFeed::OnHandling(const std::string& alert_id, const std::string& camera_id, const std::string& region,
                          const std::string& state, const std::string& step, const std::string& user) {
  Send(region, camera_id,
       JsonText(nlohmann::json{{"type", "handling"},
                               {"id", alert_id},
                               {"camera", camera_id},
                               {"region", region},
                               {"state", state},
                               {"step", step},
                               {"user", user}}));
}

}  // namespace xl::router
