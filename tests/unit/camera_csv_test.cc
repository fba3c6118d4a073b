#include "router/registry/camera_csv.h"

#include <gtest/gtest.h>

namespace xl::router {
namespace {

auto None = [](const std::string&) { return false; };

TEST(CameraCsv, ReadsQuotedFieldsAnyColumnOrderAndSplitsCredentials) {
  auto csv = ParseCameraCsv(
      "\xEF\xBB\xBFname,url,id,enabled,profile\r\n"
      "\"东村, 村口\",rtsp://admin:pw@10.0.0.5/s,33010201001320000011,no,\"{\"\"analysis\"\": {\"\"fps\"\": 2}}\"\r\n"
      "\r\n"
      "\"多行\n名字\",rtsp://10.0.0.6/s,33010201001320000012,,\n",
      None);
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv->rows, 2);
  ASSERT_EQ(csv->valid.size(), 2u);
  EXPECT_TRUE(csv->errors.empty());
  const wire::CameraSpec& a = csv->valid[0];
  EXPECT_EQ(a.name(), "东村, 村口");
  EXPECT_EQ(a.url(), "rtsp://10.0.0.5/s");
  EXPECT_EQ(a.username(), "admin");
  EXPECT_EQ(a.password(), "pw");
  EXPECT_FALSE(a.enabled());
  EXPECT_NE(a.profile().find("fps"), std::string::npos);
  EXPECT_EQ(a.region(), "33010201");
  EXPECT_EQ(csv->valid[1].name(), "多行\n名字");
  EXPECT_TRUE(csv->valid[1].enabled());
}

TEST(CameraCsv, RowErrorsCarryTheRowNumberAndNeverThePassword) {
  auto csv = ParseCameraCsv(
      "id,name,url,password\n"
      "33010201001320000011,a,rtsp://h/x,secret1\n"   // row 2 ok
      "33010201001320000011,b,rtsp://h/x,secret2\n"   // row 3 duplicate
      "3301020100132000001,c,rtsp://h/x,secret3\n"    // row 4 bad id
      "33010201001320000013,d,ftp://h/x,secret4\n"    // row 5 bad scheme
      "33010201001320000014,,rtsp://h/x,secret5\n"    // row 6 missing name
      "33010201001320000015,e,rtsp://h/x\n"           // row 7 field count
      "33010201001320000016,f,rtsp://h/x,secret6\n",  // row 8 exists
      [](const std::string& id) { return id == "33010201001320000016"; });
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  ASSERT_EQ(csv->valid.size(), 1u);
  ASSERT_EQ(csv->errors.size(), 6u);
  const std::vector<std::pair<int, std::string>> expect = {{3, "already on row 2"},
                                                           {4, "20-digit"},
                                                           {5, "rtsp://"},
                                                           {6, "missing name"},
                                                           {7, "has 3 fields, the header has 4"},
                                                           {8, "already in the registry"}};
  for (size_t i = 0; i < expect.size(); ++i) {
    EXPECT_EQ(csv->errors[i].row, expect[i].first);
    EXPECT_NE(csv->errors[i].reason.find(expect[i].second), std::string::npos) << csv->errors[i].reason;
    EXPECT_EQ(csv->errors[i].reason.find("secret"), std::string::npos) << csv->errors[i].reason;
  }
}

TEST(CameraCsv, WholeFileProblemsRefuseEverything) {
  for (const auto& [text, reason] : std::vector<std::pair<std::string, std::string>>{
           {"", "empty"},
           {"id,name\n1,2\n", "required column 'url'"},
           {"id,name,url,id\n", "appears twice"},
           {"id,name,url,zone\n", "unknown column 'zone'"},
           {"id,name,url\n\"open,x,y\n", "never closed"},
           {std::string("id,name,url\n\0", 13), "NUL"},
           {"id,name,url\n1,\xff\xff,3\n", "neither UTF-8 nor GB18030"},
       }) {
    auto csv = ParseCameraCsv(text, None);
    ASSERT_FALSE(csv.ok()) << text;
    EXPECT_NE(csv.error().message.find(reason), std::string::npos) << csv.error().message;
  }
}

TEST(CameraCsv, Gb18030IsConverted) {
  auto csv = ParseCameraCsv("id,name,url\n33010201001320000011,\xB6\xAB\xB4\xE5,rtsp://h/x\n", None);
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  ASSERT_EQ(csv->valid.size(), 1u);
  EXPECT_EQ(csv->valid[0].name(), "东村");
}

}  // namespace
}  // namespace xl::router
