// Command bareassume is the floor that credswap assume is measured against:
// one process that loads the AWS SDK's default configuration (the shared
// files included, as every SDK program does), makes one signed AssumeRole
// call with aws-sdk-go-v2's STS client, prints the new access key id and
// exits. It writes no file.
//
//	bareassume -profile base -role-arn arn:aws:iam::111122223333:role/Bench -endpoint-url http://127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	profile := flag.String("profile", "", "source profile (default: the SDK's default chain)")
	roleARN := flag.String("role-arn", "", "role to assume")
	endpoint := flag.String("endpoint-url", "", "STS endpoint (default: the SDK's resolution)")
	flag.Parse()

	ctx := context.Background()
	var opts []func(*config.LoadOptions) error
	if *profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(*profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareassume:", err)
		os.Exit(1)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = aws.String(*endpoint)
		}
	})
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         roleARN,
		RoleSessionName: aws.String("bare-" + strconv.FormatInt(time.Now().Unix(), 10)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareassume:", err)
		os.Exit(1)
	}
	fmt.Println(aws.ToString(out.Credentials.AccessKeyId))
}
