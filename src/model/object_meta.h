#pragma once
// ObjectMeta and the Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation), with the
// API server's messages.
#include "model/schema.h"

#include <string>
#include <string_view>

namespace gatehouse::model {

// How metadata.name of a kind is validated.
enum class NameRule { Dns1123Subdomain, Dns1123Label, Dns1035Label };

// Empty when valid, else the API server's message.
std::string checkDns1123Subdomain(std::string_view s);
std::string checkDns1123Label(std::string_view s);
std::string checkDns1035Label(std::string_view s);
std::string checkQualifiedName(std::string_view s);  // label/annotation keys: [prefix/]name
std::string checkLabelValue(std::string_view s);
std::string checkIanaSvcName(std::string_view s);    // named ports

// metadata: strict fields, name required and following `rule`, namespace a DNS-1123 label,
// label and annotation keys and values.
schema::Schema ObjectMeta(NameRule rule);

// Labels map: keys qualified names, values label values.
schema::Schema Labels();

}  // namespace gatehouse::model
