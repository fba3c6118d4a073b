// Replies never throw on what peers send: text that is not UTF-8 (a GBK camera name from a
// device's catalog, a region file saved in GB2312) is replaced, not an abort of the router.
#include <gtest/gtest.h>

#include "common/json_text.h"
#include "router/json_reply.h"

namespace xl::router {
namespace {

TEST(JsonReply, InvalidUtf8IsReplacedNotThrown) {
  const std::string gbk_name = "\xb6\xab\xb4\xe5";  // 东村 in GBK
  HttpReply reply;
  ASSERT_NO_THROW(reply = JsonReply(200, nlohmann::json{{"cameras", {{{"name", gbk_name}}}}}));
  EXPECT_EQ(reply.status, 200);
  const auto parsed = nlohmann::json::parse(reply.body);
  EXPECT_EQ(parsed["cameras"][0]["name"], "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  ASSERT_NO_THROW(reply = JsonFault(400, "bad name " + gbk_name));
  EXPECT_EQ(reply.status, 400);
  EXPECT_TRUE(nlohmann::json::parse(reply.body)["error"].is_string());
}

TEST(JsonReply, ValidUtf8IsKept) {
  EXPECT_EQ(JsonText(nlohmann::json{{"name", "东村村口"}}), "{\"name\":\"东村村口\"}");
}

}  // namespace
}  // namespace xl::router
