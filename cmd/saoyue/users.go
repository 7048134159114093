package main

import (
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

func newUsersCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Create browser accounts: teachers from the roster, technicians, centre staff, approvers",
		Long: `Accounts sign in to the browser pages. Every new account gets a one-time
password, printed or exported once; it is changed at the first sign-in.

  saoyue users create-from-roster --exam 21 --out accounts.xlsx
  saoyue users add --login admin --role centre --name 中心管理员
  saoyue users add --login tech0101 --role technician --school 0101
  saoyue users add --login shen --role approver,centre`,
	}
	cmd.AddCommand(newUsersFromRosterCmd(cfg), newUsersAddCmd(cfg))
	return cmd
}

// oneTimePassword avoids letters that look alike on a printed slip.
func oneTimePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

type issued struct{ School, TeacherNo, Name, Login, Password, Roles string }

func newUsersFromRosterCmd(cfg *Config) *cobra.Command {
	var exam, out string
	cmd := &cobra.Command{
		Use:   "create-from-roster",
		Short: "Give every teacher of the exam's schools and subjects an account with a one-time password",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if exam == "" {
				return errors.New("请指定考试：--exam 考试代码")
			}
			ctx := cmd.Context()
			db, err := openDB(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := store.TeachersWithoutAccount(ctx, db.Pool, exam)
			if err != nil {
				return err
			}
			var rows []issued
			for _, t := range ts {
				pw := oneTimePassword()
				hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
				if err != nil {
					return err
				}
				tid, sid := t.TeacherID, t.SchoolID
				u := &store.User{Login: t.SchoolCode + t.TeacherNo, Name: t.Name, PasswordHash: string(hash),
					Roles: []saoyue.Role{saoyue.RoleMarker}, TeacherID: &tid, SchoolID: &sid, MustChangePassword: true}
				if err := store.CreateUser(ctx, db.Pool, u); err != nil {
					return fmt.Errorf("teacher %s %s of school %s: %w", t.TeacherNo, t.Name, t.SchoolCode, err)
				}
				rows = append(rows, issued{t.SchoolName, t.TeacherNo, t.Name, u.Login, pw, "阅卷教师"})
			}
			if len(rows) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "every teacher of the exam has an account already")
				return nil
			}
			if err := writeIssued(cmd.OutOrStdout(), out, rows); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "已创建 %d 个账号；一次性密码不保存，无法再次查看\n", len(rows))
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	cmd.Flags().StringVar(&out, "out", "", "write the accounts to a .csv or .xlsx file instead of printing them")
	return cmd
}

func writeIssued(stdout io.Writer, out string, rows []issued) error {
	header := []string{"学校", "教师编号", "姓名", "账号", "一次性密码", "角色"}
	switch {
	case strings.HasSuffix(out, ".xlsx"):
		f := excelize.NewFile()
		defer f.Close()
		sheet := f.GetSheetName(0)
		_ = f.SetSheetRow(sheet, "A1", &header)
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			_ = f.SetSheetRow(sheet, cell, &[]string{r.School, r.TeacherNo, r.Name, r.Login, r.Password, r.Roles})
		}
		return f.SaveAs(out)
	case out != "":
		fh, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("write accounts: %w", err)
		}
		defer fh.Close()
		// A BOM, so Excel on a Chinese Windows opens the UTF-8 file correctly.
		_, _ = fh.WriteString("\ufeff")
		w := csv.NewWriter(fh)
		_ = w.Write(header)
		for _, r := range rows {
			_ = w.Write([]string{r.School, r.TeacherNo, r.Name, r.Login, r.Password, r.Roles})
		}
		w.Flush()
		return w.Error()
	}
	for _, r := range rows {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t账号 %s\t一次性密码 %s\n", r.School, r.TeacherNo, r.Name, r.Login, r.Password)
	}
	return nil
}

func newUsersAddCmd(cfg *Config) *cobra.Command {
	var login, roles, name, school string
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Create one account (centre, approver, technician) and print its one-time password",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if login == "" || roles == "" {
				return errors.New("say --login NAME and --role centre|approver|technician|leader (comma-separated for several)")
			}
			ctx := cmd.Context()
			db, err := openDB(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			u := &store.User{Login: login, Name: name, MustChangePassword: true}
			for _, r := range strings.Split(roles, ",") {
				role := saoyue.Role(strings.TrimSpace(r))
				if !role.Valid() {
					return fmt.Errorf("角色 %q 不存在：可用 centre、approver、technician、leader、marker", r)
				}
				u.Roles = append(u.Roles, role)
			}
			if school != "" {
				id, err := store.SchoolIDByCode(ctx, db.Pool, school)
				if err != nil {
					return err
				}
				u.SchoolID = &id
			}
			if u.Has(saoyue.RoleTechnician) && u.SchoolID == nil {
				return errors.New("a technician works for one school: add --school CODE")
			}
			pw := oneTimePassword()
			hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
			if err != nil {
				return err
			}
			u.PasswordHash = string(hash)
			if err := store.CreateUser(ctx, db.Pool, u); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "账号 %s（%s）的一次性密码：\n\n  %s\n\n首次登录时须修改，此密码不再显示。\n", login, roles, pw)
			return nil
		},
	}
	cmd.Flags().StringVar(&login, "login", "", "the sign-in name")
	cmd.Flags().StringVar(&roles, "role", "", "centre, approver, technician or leader; several with commas")
	cmd.Flags().StringVar(&name, "name", "", "the person's name, shown on the pages")
	cmd.Flags().StringVar(&school, "school", "", "school code (technicians)")
	return cmd
}
