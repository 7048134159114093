package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/backup"
)

// version is set at link time (-ldflags "-X main.version=…"); else the
// module's version and VCS revision from the build info.
var version string

func saoyueVersion() string {
	if version != "" {
		return version
	}
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += "+" + s.Value
			}
		}
	}
	return v
}

func newBackupCmd(cfg *Config) *cobra.Command {
	var to, pgBin string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up the database, every blob and the marking secret into a directory",
		Long: `Writes a consistent backup into --to: a pg_dump archive, every blob of the object
store (copied under its SHA-256, so a later backup copies only new blobs), the marking
secret, and a manifest of counts and digests. docs/OPERATIONS.md gives the schedule.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return fmt.Errorf("请用 --to 或 SAOYUE_BACKUP_DIR 指定备份目录")
			}
			blobs, err := openBlobs(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			m, snap, err := backup.Backup(cmd.Context(), backup.Options{DatabaseURL: cfg.DatabaseURL, Blobs: blobs,
				Dir: to, PGBin: pgBin, Version: saoyueVersion()})
			if err != nil {
				return cliError(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "备份完成：%s\n", snap)
			printManifest(out, m)
			fmt.Fprintf(out, "本次新复制对象 %d 个，其余沿用已有备份。\n", m.BlobsCopied)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", os.Getenv("SAOYUE_BACKUP_DIR"), "backup directory (env SAOYUE_BACKUP_DIR)")
	cmd.PersistentFlags().StringVar(&pgBin, "pg-bin", os.Getenv("SAOYUE_PG_BIN"), "directory of pg_dump and pg_restore (env SAOYUE_PG_BIN; default "+backup.DefaultPGBin+" or PATH)")
	cmd.AddCommand(newBackupVerifyCmd())
	return cmd
}

func newBackupVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify DIR",
		Short: "Re-read a backup and check every digest (DIR: a backup directory, meaning its latest backup, or one backup)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, snap, err := backup.Verify(cmd.Context(), args[0])
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "备份 %s 完好：数据库、阅卷密钥和 %d 个对象的 SHA-256 全部与清单相符。\n", snap, len(m.Blobs))
			return nil
		},
	}
}

func newRestoreCmd(cfg *Config) *cobra.Command {
	var from, pgBin string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a backup into an empty database and object store",
		Long: `Checks the backup's digests, refuses a target database or object store that is not
empty (unless --force), restores the database with pg_restore and every blob, and checks
the result against the manifest. The target is the configured database and store
(--database-url, --s3-endpoint/--s3-bucket or --data-dir).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return fmt.Errorf("请用 --from 指定要恢复的备份目录")
			}
			if cfg.DatabaseURL == "" {
				return fmt.Errorf("请用 --database-url 或 SAOYUE_DATABASE_URL 指定目标数据库")
			}
			blobs, err := openBlobs(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			m, err := backup.Restore(cmd.Context(), backup.RestoreOptions{From: from, DatabaseURL: cfg.DatabaseURL,
				Blobs: blobs, PGBin: pgBin, Force: force})
			if err != nil {
				return cliError(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "恢复完成：%s 的备份（%s）已写入 %s。\n", m.CreatedAt.Local().Format("2006-01-02 15:04:05"), m.SaoyueVersion, blobs)
			printManifest(out, m)
			fmt.Fprintln(out, "各表行数、阅卷密钥和每个对象均已与清单核对一致。")
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "backup directory (its latest backup) or one backup's directory")
	cmd.Flags().BoolVar(&force, "force", false, "restore over a database or object store that is not empty")
	cmd.Flags().StringVar(&pgBin, "pg-bin", os.Getenv("SAOYUE_PG_BIN"), "directory of pg_restore (env SAOYUE_PG_BIN)")
	return cmd
}

func printManifest(out io.Writer, m *backup.Manifest) {
	fmt.Fprintf(out, "数据库 %d 字节（结构版本 %d）：页 %d，裁切 %d，阅卷任务 %d，评分 %d。\n",
		m.Database.Size, m.SchemaVersion, m.Counts["pages"], m.Counts["crops"], m.Counts["marking_tasks"], m.Counts["marks"])
	fmt.Fprintf(out, "对象 %d 个，共 %.1f MB。\n", len(m.Blobs), float64(m.BlobBytes)/1e6)
}
