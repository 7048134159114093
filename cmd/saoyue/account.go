package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

// loginFlags name the signed-in account a command acts as: a changed
// value needs a real person, never a typed name. The password comes from
// SAOYUE_PASSWORD or, with --password-stdin, the first line of stdin.
type loginFlags struct {
	login string
	stdin bool
}

func (l *loginFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.login, "login", "", "the account acting (password from $SAOYUE_PASSWORD or --password-stdin)")
	cmd.Flags().BoolVar(&l.stdin, "password-stdin", false, "read the account's password from the first line of stdin")
	_ = cmd.MarkFlagRequired("login")
}

// user authenticates the account and checks it holds one of the roles.
func (l *loginFlags) user(cmd *cobra.Command, db *store.DB, roles ...saoyue.Role) (*store.User, error) {
	pw := os.Getenv("SAOYUE_PASSWORD")
	if l.stdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && line == "" {
			return nil, fmt.Errorf("读取密码失败：%v", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	u, err := grading.Authenticate(cmd.Context(), db, l.login, pw, "cli", roles...)
	if err != nil {
		return nil, cliError(err)
	}
	return u, nil
}
