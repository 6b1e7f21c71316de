// Parameter schemas: reading plugin specs, parsing defaults, converting TOML nodes to values
// and writing values back as TOML text.

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>

#include "plugin/schema_toml.hpp"
#include "xreg/host/plugin/schema.hpp"

namespace xreg {
namespace {

using Strings = std::vector<std::string>;

/// The first node of a TOML document "v = <text>".
std::optional<Params::Value> convert(const std::string& text, xreg_param_type type) {
  const toml::table table = toml::parse("v = " + text);
  return to_value(*table.get("v"), type);
}

/// The message of the std::invalid_argument that schema_from_specs throws, or "no error".
std::string spec_error(const std::vector<xreg_param_spec>& specs) {
  try {
    schema_from_specs(specs.data(), static_cast<uint32_t>(specs.size()), sizeof(xreg_param_spec));
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "no error";
}

TEST(TypeName, NamesEveryType) {
  EXPECT_STREQ(type_name(XREG_PARAM_BOOL), "bool");
  EXPECT_STREQ(type_name(XREG_PARAM_INT), "integer");
  EXPECT_STREQ(type_name(XREG_PARAM_FLOAT), "float");
  EXPECT_STREQ(type_name(XREG_PARAM_STRING), "string");
  EXPECT_STREQ(type_name(XREG_PARAM_INT_LIST), "list of integers");
  EXPECT_STREQ(type_name(XREG_PARAM_FLOAT_LIST), "list of floats");
  EXPECT_STREQ(type_name(XREG_PARAM_STRING_LIST), "list of strings");
}

TEST(ToValue, AcceptsAnIntegerWhereAFloatIsExpected) {
  EXPECT_EQ(convert("3", XREG_PARAM_FLOAT), Params::Value(3.0));
  EXPECT_EQ(convert("[1, 2.5]", XREG_PARAM_FLOAT_LIST), Params::Value(std::vector<double>{1, 2.5}));
}

TEST(ToValue, RejectsAFloatWhereAnIntegerIsExpected) {
  EXPECT_FALSE(convert("3.0", XREG_PARAM_INT));
  EXPECT_FALSE(convert("[1, 2.0]", XREG_PARAM_INT_LIST));
}

TEST(ToValue, RejectsOtherTypes) {
  EXPECT_FALSE(convert("\"true\"", XREG_PARAM_BOOL));
  EXPECT_FALSE(convert("1", XREG_PARAM_BOOL));
  EXPECT_FALSE(convert("1.5", XREG_PARAM_STRING));
  EXPECT_FALSE(convert("1", XREG_PARAM_PATH));
  EXPECT_FALSE(convert("[\"a\", 1]", XREG_PARAM_STRING_LIST));
  EXPECT_FALSE(convert("\"a\"", XREG_PARAM_STRING_LIST));
  EXPECT_FALSE(convert("[1]", XREG_PARAM_INT));
}

TEST(ToValue, ConvertsEveryType) {
  EXPECT_EQ(convert("true", XREG_PARAM_BOOL), Params::Value(true));
  EXPECT_EQ(convert("-7", XREG_PARAM_INT), Params::Value(int64_t{-7}));
  EXPECT_EQ(convert("'adam'", XREG_PARAM_STRING), Params::Value(std::string("adam")));
  EXPECT_EQ(convert("4", XREG_PARAM_STRING), Params::Value(std::string("4")));
  EXPECT_EQ(convert("[]", XREG_PARAM_INT_LIST), Params::Value(std::vector<int64_t>{}));
  EXPECT_EQ(convert("[100, 100]", XREG_PARAM_INT_LIST),
            Params::Value(std::vector<int64_t>{100, 100}));
  EXPECT_EQ(convert("['a', \"b\"]", XREG_PARAM_STRING_LIST), Params::Value(Strings{"a", "b"}));
}

TEST(ParseDefault, ParsesTomlValues) {
  EXPECT_EQ(parse_default("0.1", XREG_PARAM_FLOAT), Params::Value(0.1));
  EXPECT_EQ(parse_default("2", XREG_PARAM_FLOAT), Params::Value(2.0));
  EXPECT_EQ(parse_default("\"adam\"", XREG_PARAM_STRING), Params::Value(std::string("adam")));
  EXPECT_EQ(parse_default("[100, 100]", XREG_PARAM_INT_LIST),
            Params::Value(std::vector<int64_t>{100, 100}));
}

TEST(ParseDefault, RejectsTextThatIsNotAValueOfTheType) {
  EXPECT_THROW(parse_default("1.5", XREG_PARAM_INT), std::invalid_argument);
  EXPECT_THROW(parse_default("adam", XREG_PARAM_STRING), std::invalid_argument);  // unquoted
  EXPECT_THROW(parse_default("[1,", XREG_PARAM_INT_LIST), std::invalid_argument);
  EXPECT_THROW(parse_default("", XREG_PARAM_INT), std::invalid_argument);
  // A second key smuggled in after the value is not a value.
  EXPECT_THROW(parse_default("1\nw = 2", XREG_PARAM_INT), std::invalid_argument);
}

TEST(SchemaFromSpecs, CopiesEveryField) {
  const xreg_param_spec specs[] = {
      param::integers("hidden", "[100, 100]", "Widths of the hidden layers."),
      param::string("optimizer", "\"adam\"", "The optimizer.", "adam|sgd"),
      param::string("path", nullptr, "The model file."),
  };
  const Schema schema = schema_from_specs(specs, 3, sizeof(xreg_param_spec));
  ASSERT_EQ(schema.size(), 3u);
  EXPECT_EQ(schema[0].name, "hidden");
  EXPECT_EQ(schema[0].type, XREG_PARAM_INT_LIST);
  EXPECT_EQ(schema[0].default_value, Params::Value(std::vector<int64_t>{100, 100}));
  EXPECT_EQ(schema[0].doc, "Widths of the hidden layers.");
  EXPECT_TRUE(schema[0].choices.empty());
  EXPECT_EQ(schema[1].choices, (Strings{"adam", "sgd"}));
  EXPECT_FALSE(schema[2].default_value.has_value());
}

/// A spec as a plugin built against a newer SDK lays it out: one field more at the end.
struct NewerSpec {
  xreg_param_spec spec;
  const char* added_later;
};

TEST(SchemaFromSpecs, ReadsSpecsWithTheStrideTheyDeclare) {
  const NewerSpec specs[] = {
      {param::real("lr", "0.5", "Learning rate."), "ignored"},
      {param::boolean("on", "true", "Switch."), "ignored"},
  };
  const Schema schema = schema_from_specs(&specs[0].spec, 2, sizeof(NewerSpec));
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema[1].name, "on");
  EXPECT_EQ(schema[1].default_value, Params::Value(true));
}

/// A spec as a plugin built against an older SDK lays it out: no `choices` yet.
struct OlderSpec {
  uint32_t struct_size;
  uint32_t type;
  const char* name;
  const char* default_toml;
  const char* doc;
};

TEST(SchemaFromSpecs, ReadsOlderShorterSpecsWithoutTheirMissingFields) {
  const OlderSpec specs[] = {
      {sizeof(OlderSpec), XREG_PARAM_STRING, "mode", "\"x\"", "A mode."},
      {sizeof(OlderSpec), XREG_PARAM_INT, "n", "3", "A count."},
  };
  const Schema schema =
      schema_from_specs(reinterpret_cast<const xreg_param_spec*>(specs), 2, sizeof(OlderSpec));
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema[0].name, "mode");
  EXPECT_TRUE(schema[0].choices.empty());
  EXPECT_EQ(schema[1].default_value, Params::Value(int64_t{3}));
}

TEST(SchemaFromSpecs, RejectsAnUnknownType) {
  xreg_param_spec spec = param::real("lr", "0.1", "doc");
  spec.type = 99;
  EXPECT_EQ(spec_error({spec}), "parameter 'lr': unknown type 99");
}

TEST(SchemaFromSpecs, RejectsAMissingOrInvalidName) {
  EXPECT_EQ(spec_error({param::real("ok", "1", ""), param::real(nullptr, "1", "")}),
            "parameter #1 has no name");
  EXPECT_NE(spec_error({param::real("a b", "1", "")}).find("parameter #0 has the name 'a b'"),
            std::string::npos);
}

TEST(SchemaFromSpecs, RejectsAnUnparsableDefault) {
  const std::string message = spec_error({param::integers("hidden", "[100,", "")});
  EXPECT_EQ(message.rfind("parameter 'hidden': default '[100,' is not a TOML value", 0), 0u)
      << message;
  EXPECT_EQ(spec_error({param::integer("n", "1.5", "")}),
            "parameter 'n': default '1.5' is not a valid integer");
}

TEST(SchemaFromSpecs, RejectsADefaultThatIsNotAChoice) {
  EXPECT_EQ(spec_error({param::string("optimizer", "\"adm\"", "", "adam|sgd")}),
            "parameter 'optimizer': default 'adm' is not one of adam|sgd");
}

TEST(SchemaFromSpecs, RejectsChoicesOnNonStringsAndEmptyChoices) {
  EXPECT_EQ(spec_error({param::Spec(XREG_PARAM_INT, "n", "1", "", "1|2")}),
            "parameter 'n': choices are only allowed for strings (type is integer)");
  EXPECT_EQ(spec_error({param::string("s", "\"a\"", "", "a||b")}),
            "parameter 's': empty choice in 'a||b'");
}

TEST(SchemaFromSpecs, RejectsADuplicateName) {
  EXPECT_EQ(spec_error({param::real("lr", "1", ""), param::real("lr", "2", "")}),
            "parameter 'lr' is declared twice");
}

TEST(SchemaFromSpecs, RejectsAStrideTooShortToHoldAName) {
  const xreg_param_spec spec = param::real("lr", "1", "");
  EXPECT_THROW(schema_from_specs(&spec, 1, 8), std::invalid_argument);
  EXPECT_TRUE(schema_from_specs(nullptr, 0, 0).empty());
}

/// The one parameter of `spec`, read as the host reads a plugin's schema.
ParamSchema one(const xreg_param_spec& spec) {
  return schema_from_specs(&spec, 1, sizeof(xreg_param_spec)).at(0);
}

/// The message of the bound violation of `value` for `spec`, or "within bounds".
std::string violation(const xreg_param_spec& spec, const Params::Value& value) {
  const auto found = bound_violation(one(spec), value);
  return found ? found->message : "within bounds";
}

TEST(Bounds, AnInclusiveMinimumAdmitsItself) {
  const auto spec = param::integer("samples", "1000", "").at_least(2);
  EXPECT_EQ(bounds_text(one(spec)), ">= 2");
  EXPECT_EQ(violation(spec, int64_t{2}), "within bounds");
  EXPECT_EQ(violation(spec, int64_t{1}), "expected a value >= 2, found 1");
}

TEST(Bounds, AnExclusiveMinimumRefusesItself) {
  const auto spec = param::real("sigma", "0.1", "").positive();
  EXPECT_EQ(bounds_text(one(spec)), "> 0.0");
  EXPECT_EQ(violation(spec, 1e-12), "within bounds");
  EXPECT_EQ(violation(spec, 0.0), "expected a value > 0.0, found 0.0");
  EXPECT_EQ(violation(spec, -0.5), "expected a value > 0.0, found -0.5");
}

TEST(Bounds, InclusiveAndExclusiveMaxima) {
  const auto at_most = param::real("max_features", "0.5", "").positive().at_most(1);
  EXPECT_EQ(bounds_text(one(at_most)), "> 0.0 and <= 1.0");
  EXPECT_EQ(violation(at_most, 1.0), "within bounds");
  EXPECT_EQ(violation(at_most, 1.5), "expected a value > 0.0 and <= 1.0, found 1.5");
  const auto below = param::real("dropout", "0.0", "").non_negative().less_than(1);
  EXPECT_EQ(violation(below, 0.999), "within bounds");
  EXPECT_EQ(violation(below, 1.0), "expected a value >= 0.0 and < 1.0, found 1.0");
}

TEST(Bounds, ApplyToEveryElementOfANumberListAndNameTheElement) {
  const auto spec = param::integers("hidden", "[100, 100]", "").positive();
  const auto found = bound_violation(one(spec), std::vector<int64_t>{10, 0, 5});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->message, "expected values > 0, found 0 (element 1)");
  EXPECT_EQ(found->element, std::optional<size_t>(1));
  EXPECT_EQ(violation(spec, std::vector<int64_t>{}), "within bounds");
}

TEST(Bounds, NonEmptyListsAndStrings) {
  const auto list = param::integers("channels", "[6]", "").positive().non_empty();
  EXPECT_EQ(bounds_text(one(list)), "> 0 and non-empty");
  EXPECT_EQ(violation(list, std::vector<int64_t>{}),
            "expected a non-empty list, found an empty list");
  const auto text = param::string("name", "\"x\"", "").non_empty();
  EXPECT_EQ(violation(text, std::string()), "expected a non-empty string, found an empty string");
}

TEST(Bounds, SpecsWithImpossibleOrMisplacedBoundsAreRefused) {
  EXPECT_EQ(spec_error({param::string("s", "\"a\"", "").positive()}),
            "parameter 's': bounds are only allowed for numbers (type is string)");
  EXPECT_EQ(spec_error({param::boolean("b", "true", "").non_empty()}),
            "parameter 'b': non_empty is only allowed for lists and strings (type is bool)");
  EXPECT_EQ(spec_error({param::real("x", "0.5", "").greater_than(1).at_most(1)}),
            "parameter 'x': bounds > 1.0 and <= 1.0 admit no value");
  EXPECT_EQ(spec_error({param::integer("n", "1", "").at_least(2)}),
            "parameter 'n': default 1 is outside its bounds: expected a value >= 2, found 1");
}

TEST(Bounds, SpecsOfAbi10HaveNone) {
  // ABI 1.0's spec ended at `choices`: read with that stride, the bounds a 1.1 spec would carry
  // in the following bytes are not read.
  const xreg_param_spec specs[] = {param::integer("n", "1", "").at_least(5),
                                   param::integer("m", "1", "").at_least(5)};
  const uint32_t abi_1_0_size = offsetof(xreg_param_spec, flags);
  std::vector<unsigned char> packed(2 * abi_1_0_size);
  std::memcpy(packed.data(), &specs[0], abi_1_0_size);
  std::memcpy(packed.data() + abi_1_0_size, &specs[1], abi_1_0_size);
  const Schema schema =
      schema_from_specs(reinterpret_cast<const xreg_param_spec*>(packed.data()), 2, abi_1_0_size);
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema[1].name, "m");
  EXPECT_EQ(schema[1].flags, 0u);
  EXPECT_FALSE(bound_violation(schema[1], int64_t{1}).has_value());
}

TEST(ToTomlText, WritesLiteralTomlValues) {
  EXPECT_EQ(to_toml_text(true), "true");
  EXPECT_EQ(to_toml_text(int64_t{-3}), "-3");
  EXPECT_EQ(to_toml_text(1.0), "1.0");
  EXPECT_EQ(to_toml_text(0.001), "0.001");
  EXPECT_EQ(to_toml_text(3e-4), "0.0003");
  EXPECT_EQ(to_toml_text(100.0), "100.0");
  EXPECT_EQ(to_toml_text(-2.5e20), "-2.5e+20");
  EXPECT_EQ(to_toml_text(1e-7), "1e-07");
  EXPECT_EQ(to_toml_text(std::string("a\"b\\c\nd")), R"("a\"b\\c\nd")");
  EXPECT_EQ(to_toml_text(std::vector<int64_t>{100, 100}), "[100, 100]");
  EXPECT_EQ(to_toml_text(std::vector<double>{}), "[]");
  EXPECT_EQ(to_toml_text(Strings{"a", "b"}), R"(["a", "b"])");
}

TEST(ToTomlText, RoundTripsThroughParseDefault) {
  const double tricky[] = {0.1 + 0.2,
                           1e-300,
                           -2.5e20,
                           1e-5,
                           9.999999999999998e15,
                           123456.789,
                           -1.0 / 7.0,
                           3.0,
                           1.0 / 3.0,
                           0.0,
                           std::numeric_limits<double>::infinity()};
  for (double value : tricky) {
    EXPECT_EQ(parse_default(to_toml_text(value), XREG_PARAM_FLOAT), Params::Value(value))
        << to_toml_text(value);
  }
  const std::string text = std::string("tab\t bell\x07 quote\" ü ") + '\x7f';
  EXPECT_EQ(parse_default(to_toml_text(text), XREG_PARAM_STRING), Params::Value(text));
  const std::vector<double> reals = {1, 0.25};
  EXPECT_EQ(parse_default(to_toml_text(reals), XREG_PARAM_FLOAT_LIST), Params::Value(reals));
}

TEST(ToTomlText, WritesNanAsTomlNan) {
  const Params::Value value = parse_default(to_toml_text(std::nan("")), XREG_PARAM_FLOAT);
  EXPECT_TRUE(std::isnan(std::get<double>(value)));
}

TEST(InsertValue, InsertsNodesThatConvertBack) {
  toml::table table;
  const Params::Value values[] = {false,
                                  int64_t{4},
                                  2.0,
                                  std::string("x"),
                                  std::vector<int64_t>{1},
                                  std::vector<double>{0.5},
                                  Strings{"a"}};
  const xreg_param_type types[] = {
      XREG_PARAM_BOOL,     XREG_PARAM_INT,        XREG_PARAM_FLOAT,      XREG_PARAM_STRING,
      XREG_PARAM_INT_LIST, XREG_PARAM_FLOAT_LIST, XREG_PARAM_STRING_LIST};
  for (size_t i = 0; i < std::size(values); ++i) {
    insert_value(table, "k", values[i]);
    EXPECT_EQ(to_value(*table.get("k"), types[i]), values[i]) << i;
  }
  EXPECT_TRUE(table.get("k")->is_array());
  EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace xreg
