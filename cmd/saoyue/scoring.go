package main

import (
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

// newTemplateCmd registers a card template for a subject.
func newTemplateCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "template", Short: "Register answer-card templates for a subject"}
	var exam, subject string
	add := &cobra.Command{
		Use:   "add --exam 21 --subject math FILE.yaml",
		Short: "Register a template for a subject (creates its question groups)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, subjectID, err := openSubject(cmd, cfg, exam, subject)
			if err != nil {
				return err
			}
			defer db.Close()
			body, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			t, err := grading.RegisterTemplate(ctx, db, subjectID, body)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "答题卡模板 %s 第 %d 版已登记到考试 %s 学科 %s\n", t.Code, t.Version, exam, subject)
			return nil
		},
	}
	add.Flags().StringVar(&exam, "exam", "", "exam code")
	add.Flags().StringVar(&subject, "subject", "", "subject code")
	cmd.AddCommand(add)
	return cmd
}

// newKeyCmd imports answer keys and rescores.
func newKeyCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Answer keys and objective scoring"}
	o := &keyImport{}
	imp := &cobra.Command{
		Use:   "import --exam 21 --subject math [--form A] FILE (csv, xlsx or yaml) | --from-scan CARD.jpg...",
		Short: "Import (or replace) a subject's answer key and rescore every card; audited",
		Long: `Imports a key file, or with --from-scan reads the key from the scans of a card the subject
leader filled in as the key, with the reader the pipeline uses for the subject's card. The key read
is printed and saved only after confirmation (y on the terminal, or --yes); an item the reader is
unsure of, a double mark on a single-choice item or a blank item refuses the whole key. Points per
item come from --points (CSV: 题号,分值[,部分分][,作废]) or else from the subject's current key.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(o.scans) > 0 {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(o.scans) > 0 {
				return o.fromScan(cmd, cfg)
			}
			if o.points != "" || o.yes {
				return fmt.Errorf("--points 和 --yes 只能与 --from-scan 一起使用")
			}
			return o.fromFile(cmd, cfg, args[0])
		},
	}
	rescore := &cobra.Command{
		Use:   "rescore --exam 21 --subject math",
		Short: "Score every card of a subject again from the current key; audited",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, subjectID, err := openSubject(cmd, cfg, o.exam, o.subject)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := grading.Rescore(ctx, db, subjectID, o.actor, o.reason)
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d 个分数随之改变\n", n)
			return nil
		},
	}
	for _, c := range []*cobra.Command{imp, rescore} {
		c.Flags().StringVar(&o.exam, "exam", "", "exam code")
		c.Flags().StringVar(&o.subject, "subject", "", "subject code")
		c.Flags().StringVar(&o.actor, "by", os.Getenv("USER"), "who makes the change (audit log)")
		c.Flags().StringVar(&o.reason, "reason", "", "why (audit log)")
	}
	o.importFlags(imp)
	cmd.AddCommand(imp, rescore)
	return cmd
}

// subjectItems are the objective items of a subject's templates.
func subjectItems(cmd *cobra.Command, db *store.DB, subjectID int64) ([]card.Item, error) {
	ts, err := store.SubjectTemplates(cmd.Context(), db.Pool, subjectID)
	if err != nil {
		return nil, fmt.Errorf("register the subject's card template first (saoyue template add): %w", err)
	}
	var items []card.Item
	for _, t := range ts {
		p, err := card.Parse([]byte(t.Body))
		if err != nil {
			return nil, err
		}
		doc, err := card.Layout(p, 25.4)
		if err != nil {
			return nil, err
		}
		items = append(items, doc.Items...)
	}
	return items, nil
}

// newExceptionsCmd lists and resolves exceptions from the command line;
// the technician's browser page does the same through the same functions.
func newExceptionsCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "exceptions", Short: "The exception register: list, resolve, approve"}
	var exam, status string
	var batch int64
	list := &cobra.Command{
		Use:   "list [--exam 21] [--batch N] [--status open|pending_approval|resolved|unresolved]",
		Short: "List exceptions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := openDB(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			f := store.ExceptionFilter{BatchID: batch, Status: saoyue.ExceptionStatus(status)}
			if exam != "" {
				e, err := store.GetExam(ctx, db.Pool, exam)
				if err != nil {
					return err
				}
				f.ExamID = e.ID
			}
			exc, err := store.Exceptions(ctx, db.Pool, f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tBATCH\tKIND\tITEM\tSTATUS\tREASON")
			for _, e := range exc {
				b := ""
				if e.BatchID != nil {
					b = strconv.FormatInt(*e.BatchID, 10)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, b, e.Kind, e.ItemNo, e.Status, e.Reason)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&exam, "exam", "", "exam code")
	list.Flags().Int64Var(&batch, "batch", 0, "batch id")
	list.Flags().StringVar(&status, "status", "unresolved", "status filter; empty for all")

	var res grading.ExceptionResolution
	var by loginFlags
	resolve := &cobra.Command{
		Use:   "resolve ID --login L --action exam_no|answer|blank|accept|rescan|void [--exam-no X] [--item N --answer B] --reason WHY",
		Short: "Resolve an exception; changes of machine-read values wait for an approver",
		Args:  cobra.ExactArgs(1),
		RunE: withID(cfg, "exception", func(cmd *cobra.Command, db *store.DB, id int64) error {
			u, err := by.user(cmd, db, saoyue.RoleTechnician, saoyue.RoleCentre)
			if err != nil {
				return err
			}
			e, err := grading.ResolveExceptionBy(cmd.Context(), db, id, u, res)
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exception %d: %s\n", e.ID, e.Status)
			return nil
		}),
	}
	resolve.Flags().StringVar(&res.Action, "action", "", "exam_no, answer, blank, accept, rescan or void")
	resolve.Flags().StringVar(&res.ExamNo, "exam-no", "", "the candidate's exam number (action exam_no)")
	resolve.Flags().IntVar(&res.Item, "item", 0, "item number (action answer/blank; default the exception's item)")
	resolve.Flags().StringVar(&res.Answer, "answer", "", "the corrected answer, e.g. B or AC (action answer)")
	resolve.Flags().StringVar(&res.Reason, "reason", "", "why (required for changes; audit log)")
	by.bind(resolve)

	var reject bool
	var note string
	var approver loginFlags
	approve := &cobra.Command{
		Use:   "approve ID --login L [--reject --note TEXT]",
		Short: "Approve (or reject) a pending change as a signed-in approver other than the requester",
		Args:  cobra.ExactArgs(1),
		RunE: withID(cfg, "exception", func(cmd *cobra.Command, db *store.DB, id int64) error {
			u, err := approver.user(cmd, db, saoyue.RoleApprover)
			if err != nil {
				return err
			}
			if err := grading.ApproveException(cmd.Context(), db, id, u, !reject, note); err != nil {
				return cliError(err)
			}
			verdict := "approved and applied"
			if reject {
				verdict = "rejected; the exception is open again"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exception %d: %s\n", id, verdict)
			return nil
		}),
	}
	approve.Flags().BoolVar(&reject, "reject", false, "reject the change")
	approve.Flags().StringVar(&note, "note", "", "the approver's note (required to reject; the technician sees it)")
	approver.bind(approve)

	reconcile := &cobra.Command{
		Use:   "reconcile BATCH",
		Short: "Reconcile a batch with its room roster: expected, scanned, absent, missing, extra",
		Args:  cobra.ExactArgs(1),
		RunE: withID(cfg, "batch", func(cmd *cobra.Command, db *store.DB, id int64) error {
			r, err := grading.Reconcile(cmd.Context(), db, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "批次 %d：应到 %d，已扫描 %d，缺考 %d，违纪 %d，缺少 %v，多出 %v，未处理异常 %d，%s\n",
				r.BatchID, r.Expected, r.Scanned, r.Absent, r.Violation, r.Missing, r.Extra, r.OpenExc, map[bool]string{true: "已对齐", false: "未对齐"}[r.Balanced])
			return nil
		}),
	}
	cmd.AddCommand(list, resolve, approve, reconcile)
	return cmd
}

// openSubject opens the database and finds the subject of an exam.
func openSubject(cmd *cobra.Command, cfg *Config, exam, subject string) (*store.DB, int64, error) {
	db, err := openDB(cmd.Context(), cfg)
	if err != nil {
		return nil, 0, err
	}
	id, err := marking.SubjectID(cmd.Context(), db, exam, subject)
	if err != nil {
		db.Close()
		return nil, 0, cliError(err)
	}
	return db, id, nil
}

// withID makes the RunE of a command whose one argument is an id: it
// parses the id and opens the database around fn.
func withID(cfg *Config, what string, fn func(cmd *cobra.Command, db *store.DB, id int64) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		id, err := parseID(args[0], what)
		if err != nil {
			return err
		}
		db, err := openDB(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(cmd, db, id)
	}
}

// parseID reads a numeric id given on the command line.
func parseID(s, what string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s id %q is not a number", what, s)
	}
	return id, nil
}
