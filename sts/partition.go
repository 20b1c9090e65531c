package sts

import (
	"fmt"
	"net/url"
	"strings"
)

// Partition is an AWS partition as the web console sees it: where its
// sign-in federation endpoint and its console live.
type Partition struct {
	ID          string // aws, aws-us-gov, aws-cn
	SigninHost  string // signin.aws.amazon.com
	ConsoleHost string // console.aws.amazon.com
}

// The partitions whose console credswap knows.
var partitions = []Partition{
	{ID: "aws", SigninHost: "signin.aws.amazon.com", ConsoleHost: "console.aws.amazon.com"},
	{ID: "aws-us-gov", SigninHost: "signin.amazonaws-us-gov.com", ConsoleHost: "console.amazonaws-us-gov.com"},
	{ID: "aws-cn", SigninHost: "signin.amazonaws.cn", ConsoleHost: "console.amazonaws.cn"},
}

// PartitionError is a partition whose console credswap does not know (an
// isolated region, a partition newer than this table).
type PartitionError struct {
	ID   string // the partition, e.g. aws-iso
	From string // what it was read from: an ARN or a region
}

func (e *PartitionError) Error() string {
	return fmt.Sprintf("no known web console for the partition %s (of %s)", e.ID, e.From)
}

// PartitionOf is the partition of credentials: the one their ARN names,
// else the one their region belongs to, else aws. An unknown partition is a
// *PartitionError, with the partition's ID filled in.
func PartitionOf(arn, region string) (Partition, error) {
	id, from := "aws", ""
	switch parts := strings.SplitN(arn, ":", 3); {
	case len(parts) == 3 && parts[0] == "arn" && parts[1] != "":
		id, from = parts[1], arn
	case strings.HasPrefix(region, "cn-"):
		id, from = "aws-cn", region
	case strings.HasPrefix(region, "us-gov-"):
		id, from = "aws-us-gov", region
	case region != "":
		// Regions of partitions whose consoles are not public: us-iso-east-1,
		// us-isob-east-1, eu-isoe-west-1, us-isof-south-1, eusc-de-east-1.
		for prefix, p := range map[string]string{"us-iso-": "aws-iso", "us-isob-": "aws-iso-b", "eu-isoe-": "aws-iso-e", "us-isof-": "aws-iso-f", "eusc-": "aws-eusc"} {
			if strings.HasPrefix(region, prefix) {
				id, from = p, region
			}
		}
	}
	for _, p := range partitions {
		if p.ID == id {
			return p, nil
		}
	}
	return Partition{ID: id}, &PartitionError{ID: id, From: from}
}

// FederationURL is the partition's sign-in federation endpoint.
func (p Partition) FederationURL() string {
	return "https://" + p.SigninHost + "/federation"
}

// ConsoleURL is a page of the partition's console: the home page of
// service (s3, ec2, ...), or of the console when service is "", in region
// when it is not "".
func (p Partition) ConsoleURL(region, service string) string {
	u := url.URL{Scheme: "https", Host: p.ConsoleHost, Path: "/"}
	switch {
	case service != "":
		u.Path = "/" + service + "/home"
	case region != "":
		u.Path = "/console/home"
	}
	if region != "" {
		u.RawQuery = url.Values{"region": {region}}.Encode()
	}
	return u.String()
}
