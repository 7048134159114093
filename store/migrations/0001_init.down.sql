DROP TABLE IF EXISTS incidents, audit_log, marks, marking_tasks, crops, item_scores,
    question_groups, answer_keys, exceptions, read_results, pages, cards, batches,
    templates, candidates, rooms, subjects, exam_schools, exams, teacher_subjects,
    teachers, students, schools, counties CASCADE;
