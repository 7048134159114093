package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/backup"
	"github.com/saoyue/saoyue/blob"
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

// targetFlags say where backups are kept when the target is a bucket:
// the endpoint and keys default to the installation's own S3 settings, so
// "s3://saoyue-backup" is another bucket of the same MinIO.
type targetFlags struct {
	endpoint, accessKey, secretKey string
	secure                         bool
}

func (f *targetFlags) bind(cmd *cobra.Command) {
	env := os.Getenv
	cmd.PersistentFlags().StringVar(&f.endpoint, "target-s3-endpoint", env("SAOYUE_BACKUP_S3_ENDPOINT"), "S3 endpoint of an s3:// backup target; default the installation's (env SAOYUE_BACKUP_S3_ENDPOINT)")
	cmd.PersistentFlags().StringVar(&f.accessKey, "target-s3-access-key", env("SAOYUE_BACKUP_S3_ACCESS_KEY"), "its access key (env SAOYUE_BACKUP_S3_ACCESS_KEY)")
	cmd.PersistentFlags().StringVar(&f.secretKey, "target-s3-secret-key", env("SAOYUE_BACKUP_S3_SECRET_KEY"), "its secret key (env SAOYUE_BACKUP_S3_SECRET_KEY)")
	cmd.PersistentFlags().BoolVar(&f.secure, "target-s3-secure", truthy(env("SAOYUE_BACKUP_S3_SECURE")), "HTTPS to it (env SAOYUE_BACKUP_S3_SECURE=1)")
}

// open opens spec: a directory, or s3://BUCKET.
func (f *targetFlags) open(ctx context.Context, cfg *Config, spec string) (backup.Target, error) {
	s3 := blob.S3Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey, Secure: cfg.S3Secure}
	if f.endpoint != "" {
		s3 = blob.S3Config{Endpoint: f.endpoint, AccessKey: f.accessKey, SecretKey: f.secretKey, Secure: f.secure}
	}
	return backup.OpenTarget(ctx, spec, s3)
}

func newBackupCmd(cfg *Config) *cobra.Command {
	var to, pgBin string
	var tf targetFlags
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up the database, every blob and the marking secret into a directory or bucket",
		Long: `Writes a consistent backup into --to (a directory, or s3://BUCKET on the installation's
S3 endpoint or --target-s3-endpoint): a pg_dump archive, every blob of the object store
(copied under its SHA-256, so a later backup copies only new blobs), the marking secret, and
a manifest of counts and digests. docs/OPERATIONS.md gives the schedule.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return fmt.Errorf("请用 --to 或 SAOYUE_BACKUP_DIR 指定备份目录或 s3:// 存储桶")
			}
			blobs, err := openBlobs(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			target, err := tf.open(cmd.Context(), cfg, to)
			if err != nil {
				return cliError(err)
			}
			m, err := backup.Backup(cmd.Context(), backup.Options{DatabaseURL: cfg.DatabaseURL, Blobs: blobs,
				Target: target, PGBin: pgBin, Version: saoyueVersion()})
			if err != nil {
				return cliError(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "备份完成：%s 的 snapshots/%s\n", target, m.Name)
			printManifest(out, m)
			fmt.Fprintf(out, "本次新复制对象 %d 个，其余沿用已有备份。\n", m.BlobsCopied)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", os.Getenv("SAOYUE_BACKUP_DIR"), "backup directory or s3://BUCKET (env SAOYUE_BACKUP_DIR)")
	cmd.PersistentFlags().StringVar(&pgBin, "pg-bin", os.Getenv("SAOYUE_PG_BIN"), "directory of pg_dump and pg_restore (env SAOYUE_PG_BIN; default "+backup.DefaultPGBin+" or PATH)")
	tf.bind(cmd)
	cmd.AddCommand(newBackupVerifyCmd(cfg, &tf), newBackupPruneCmd(cfg, &tf))
	return cmd
}

func newBackupVerifyCmd(cfg *Config, tf *targetFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "verify DIR|s3://BUCKET",
		Short: "Re-read a backup and check every digest (a directory or bucket means its latest backup; DIR/snapshots/T one backup)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, snap := backup.SplitPath(args[0])
			target, err := tf.open(cmd.Context(), cfg, spec)
			if err != nil {
				return cliError(err)
			}
			m, err := backup.Verify(cmd.Context(), target, snap)
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "备份 %s 的 snapshots/%s 完好：数据库、阅卷密钥和 %d 个对象的 SHA-256 全部与清单相符。\n", target, m.Name, len(m.Blobs))
			return nil
		},
	}
}

func newBackupPruneCmd(cfg *Config, tf *targetFlags) *cobra.Command {
	var keep int
	cmd := &cobra.Command{
		Use:   "prune DIR|s3://BUCKET",
		Short: "Keep the --keep newest backups and remove the older ones with the blob copies only they name",
		Long: `Removes every backup of DIR or s3://BUCKET but the --keep newest, and the blob copies that
only the removed backups name: an image a kept backup names stays. Run it after a backup has
finished, not beside one (docs/OPERATIONS.md).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := tf.open(cmd.Context(), cfg, args[0])
			if err != nil {
				return cliError(err)
			}
			res, err := backup.Prune(cmd.Context(), target, keep)
			if res != nil && !strings.HasPrefix(args[0], "s3://") {
				for _, s := range res.Removed { // a directory target keeps empty directories
					os.Remove(filepath.Join(args[0], "snapshots", s))
				}
			}
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "保留备份 %d 份（%s），删除较早的 %d 份及只属于它们的对象 %d 个（%.1f MB）。\n",
				len(res.Kept), strings.Join(res.Kept, "、"), len(res.Removed), res.ObjectsRemoved, float64(res.BytesRemoved)/1e6)
			return nil
		},
	}
	cmd.Flags().IntVar(&keep, "keep", 48, "how many of the newest backups to keep (48: two days of hourly backups)")
	return cmd
}

func newRestoreCmd(cfg *Config) *cobra.Command {
	var from, pgBin string
	var force bool
	var tf targetFlags
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
				return fmt.Errorf("请用 --from 指定要恢复的备份目录或 s3:// 存储桶")
			}
			if cfg.DatabaseURL == "" {
				return fmt.Errorf("请用 --database-url 或 SAOYUE_DATABASE_URL 指定目标数据库")
			}
			spec, snap := backup.SplitPath(from)
			source, err := tf.open(cmd.Context(), cfg, spec)
			if err != nil {
				return cliError(err)
			}
			blobs, err := openBlobs(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			m, err := backup.Restore(cmd.Context(), backup.RestoreOptions{From: source, Snapshot: snap,
				DatabaseURL: cfg.DatabaseURL, Blobs: blobs, PGBin: pgBin, Force: force})
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
	cmd.Flags().StringVar(&from, "from", "", "backup directory or s3://BUCKET (its latest backup), or DIR/snapshots/T")
	cmd.Flags().BoolVar(&force, "force", false, "restore over a database or object store that is not empty")
	cmd.Flags().StringVar(&pgBin, "pg-bin", os.Getenv("SAOYUE_PG_BIN"), "directory of pg_restore (env SAOYUE_PG_BIN)")
	tf.bind(cmd)
	return cmd
}

func printManifest(out io.Writer, m *backup.Manifest) {
	fmt.Fprintf(out, "数据库 %d 字节（结构版本 %d）：页 %d，裁切 %d，阅卷任务 %d，评分 %d。\n",
		m.Database.Size, m.SchemaVersion, m.Counts["pages"], m.Counts["crops"], m.Counts["marking_tasks"], m.Counts["marks"])
	fmt.Fprintf(out, "对象 %d 个，共 %.1f MB。\n", len(m.Blobs), float64(m.BlobBytes)/1e6)
}
