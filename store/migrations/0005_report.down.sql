DROP TABLE IF EXISTS review_requests;
DROP TABLE IF EXISTS exam_release;
DROP TABLE IF EXISTS report_settings;
