// A player of the router's /playback socket, by hand: what the desk's playback view does.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/support/web_socket.h"

namespace xl::test {

struct PlaybackPlayer {
  explicit PlaybackPlayer(int fd) : ws(fd) {}
  // The next text message of `type` (others skipped); with `binary`, the binary message after
  // it. nullopt on timeout or close.
  std::optional<nlohmann::json> Await(const std::string& type, std::string* binary = nullptr,
                                      std::chrono::milliseconds wait = std::chrono::seconds(30)) {
    while (auto m = ws.Next(wait)) {
      if (!m->text) continue;
      nlohmann::json j = nlohmann::json::parse(m->data, nullptr, false);
      if (!j.is_object() || j.value("type", "") != type) continue;
      if (binary) {
        auto b = ws.Next(wait);
        if (!b || b->text) return std::nullopt;
        *binary = std::move(b->data);
      }
      return j;
    }
    return std::nullopt;
  }
  WsReader ws;
};

}  // namespace xl::test
