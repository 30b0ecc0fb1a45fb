-- 0002_registry: reporting domains, the agencies that report, the indicator
-- catalogue, and the resident population used to weight circle means.
--
-- domains          what an agency may report on (environment, transit, …)
-- agencies         a city (or the province's) agency; writes only its own
--                  city's values in its own domains (issue 3)
-- agency_domains   agency × domain
-- indicators       the definitions values are checked against
-- populations      resident population per region and year, the weights of
--                  the 'population_weighted_mean' aggregation
--
-- Read by services/registry (RegistryService) and by every service that
-- checks values against a definition; written by RegistryService's admin
-- RPCs (CreateAgency, PutIndicator), which audit through rci_audit
-- (migrations/0003_identity.sql).

CREATE TABLE domains (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name_zh text NOT NULL CHECK (name_zh <> ''),
    name_en text NOT NULL CHECK (name_en <> '')
);

-- The working areas the seeds report on: environment (air, cross-boundary
-- water: seeds 000, 001, 003, 004), transit (cross-city buses, road
-- channels, intercity rail: 000, 002), credit (the five cities' credit
-- cooperation: 000, 001), economy (the work reports' growth targets: 003,
-- 004; population statistics by city cluster: 002), tasks (key-task
-- supervision and traffic lights: 000, 003) and innovation (R&D spending,
-- high-tech enterprises: 000, 003, 004).
INSERT INTO domains (code, name_zh, name_en) VALUES
    ('environment', '生态环境', 'Ecology and environment'),
    ('transit',     '交通',     'Transport'),
    ('credit',      '信用',     'Social credit'),
    ('economy',     '经济',     'Economy'),
    ('tasks',       '重点任务', 'Key tasks'),
    ('innovation',  '科技创新', 'Science, technology and innovation');

-- Agency codes: "<city prefix>-<agency>", lowercase ASCII.
--   city prefix  the pinyin initials of the city: gz 广州, sg 韶关, sz 深圳,
--                zh 珠海, fs 佛山, jm 江门, zq 肇庆, hz 惠州, sw 汕尾, hy 河源,
--                yj 阳江, qy 清远, dg 东莞, zs 中山, yf 云浮; gd for the province
--   agency       eeb (生态环境局, Ecology and Environment Bureau),
--                transport (交通运输局), credit (the social credit office,
--                信用办, which sits in the development and reform bureau),
--                stats (统计局), supervision (政府督查室); drc and eed for the
--                provincial development and reform commission and department
--                of ecology and environment
-- e.g. sz-eeb, hz-transport, dg-credit, hy-stats, hy-supervision.
CREATE TABLE agencies (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,63}$'),
    city_code  text NOT NULL REFERENCES regions (code),
    name_zh    text NOT NULL CHECK (name_zh <> ''),
    name_en    text NOT NULL CHECK (name_en <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_city ON agencies (city_code);

CREATE TABLE agency_domains (
    agency_code text NOT NULL REFERENCES agencies (code),
    domain_code text NOT NULL REFERENCES domains (code),
    PRIMARY KEY (agency_code, domain_code)
);
CREATE INDEX agency_domains_domain ON agency_domains (domain_code);

-- Five agencies in each of the 15 cities. Guangzhou and Shenzhen, being
-- sub-provincial cities, have a development and reform commission (委员会)
-- where the others have a bureau (局); the credit office (社会信用体系建设
-- 统筹协调小组办公室, seed 001) sits in it. The supervision office (督查室)
-- is the one monthly reports go to in seed 003.
WITH city (prefix, code, zh, en, drc_zh, drc_en) AS (VALUES
    ('gz', '440100', '广州市', 'Guangzhou', '发展和改革委员会', 'Development and Reform Commission'),
    ('sg', '440200', '韶关市', 'Shaoguan',  '发展和改革局',     'Development and Reform Bureau'),
    ('sz', '440300', '深圳市', 'Shenzhen',  '发展和改革委员会', 'Development and Reform Commission'),
    ('zh', '440400', '珠海市', 'Zhuhai',    '发展和改革局',     'Development and Reform Bureau'),
    ('fs', '440600', '佛山市', 'Foshan',    '发展和改革局',     'Development and Reform Bureau'),
    ('jm', '440700', '江门市', 'Jiangmen',  '发展和改革局',     'Development and Reform Bureau'),
    ('zq', '441200', '肇庆市', 'Zhaoqing',  '发展和改革局',     'Development and Reform Bureau'),
    ('hz', '441300', '惠州市', 'Huizhou',   '发展和改革局',     'Development and Reform Bureau'),
    ('sw', '441500', '汕尾市', 'Shanwei',   '发展和改革局',     'Development and Reform Bureau'),
    ('hy', '441600', '河源市', 'Heyuan',    '发展和改革局',     'Development and Reform Bureau'),
    ('yj', '441700', '阳江市', 'Yangjiang', '发展和改革局',     'Development and Reform Bureau'),
    ('qy', '441800', '清远市', 'Qingyuan',  '发展和改革局',     'Development and Reform Bureau'),
    ('dg', '441900', '东莞市', 'Dongguan',  '发展和改革局',     'Development and Reform Bureau'),
    ('zs', '442000', '中山市', 'Zhongshan', '发展和改革局',     'Development and Reform Bureau'),
    ('yf', '445300', '云浮市', 'Yunfu',     '发展和改革局',     'Development and Reform Bureau')
), kind (suffix, domains) AS (VALUES
    ('eeb',         ARRAY['environment']),
    ('transport',   ARRAY['transit']),
    ('credit',      ARRAY['credit']),
    ('stats',       ARRAY['economy', 'innovation']),
    ('supervision', ARRAY['tasks'])
), a AS (
    SELECT c.prefix || '-' || k.suffix AS code, c.code AS city_code, k.domains,
           CASE k.suffix
               WHEN 'eeb'         THEN c.zh || '生态环境局'
               WHEN 'transport'   THEN c.zh || '交通运输局'
               WHEN 'credit'      THEN c.zh || c.drc_zh || '（信用办）'
               WHEN 'stats'       THEN c.zh || '统计局'
               WHEN 'supervision' THEN c.zh || '人民政府督查室'
           END AS name_zh,
           CASE k.suffix
               WHEN 'eeb'         THEN c.en || ' Ecology and Environment Bureau'
               WHEN 'transport'   THEN c.en || ' Transport Bureau'
               WHEN 'credit'      THEN c.en || ' ' || c.drc_en || ' (Credit Office)'
               WHEN 'stats'       THEN c.en || ' Statistics Bureau'
               WHEN 'supervision' THEN c.en || ' Municipal Government Supervision Office'
           END AS name_en
    FROM city c CROSS JOIN kind k
), ins AS (
    INSERT INTO agencies (code, city_code, name_zh, name_en)
    SELECT code, city_code, name_zh, name_en FROM a
)
INSERT INTO agency_domains (agency_code, domain_code)
SELECT a.code, d FROM a CROSS JOIN LATERAL unnest(a.domains) AS d;

-- The province: the development and reform commission leads the PRD
-- integration work points (省发展改革委, the most named lead unit of seed
-- 002) and the provincial credit system; the department of ecology and
-- environment (省生态环境厅, formerly 省环境保护厅 in seed 002) the
-- provincial environmental monitoring network.
INSERT INTO agencies (code, city_code, name_zh, name_en) VALUES
    ('gd-drc', '440000', '广东省发展和改革委员会', 'Guangdong Provincial Development and Reform Commission'),
    ('gd-eed', '440000', '广东省生态环境厅', 'Department of Ecology and Environment of Guangdong Province');
INSERT INTO agency_domains (agency_code, domain_code) VALUES
    ('gd-drc', 'credit'), ('gd-drc', 'economy'), ('gd-drc', 'tasks'),
    ('gd-eed', 'environment');

-- Indicator definitions. Codes are "<area>.<name>", lowercase ASCII.
-- Bounds are the valid range of a single value (not a target: targets are
-- per indicator × region × year); a percent with no bound given is 0..100.
CREATE TABLE indicators (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_.]{1,63}$'),
    name_zh     text NOT NULL CHECK (name_zh <> ''),
    name_en     text NOT NULL CHECK (name_en <> ''),
    unit        text NOT NULL DEFAULT '',
    domain_code text NOT NULL REFERENCES domains (code),
    frequency   text NOT NULL
                CHECK (frequency IN ('daily', 'monthly', 'quarterly', 'half_yearly', 'yearly')),
    value_type  text NOT NULL CHECK (value_type IN ('decimal', 'integer', 'percent')),
    min_value   numeric,
    max_value   numeric,
    decimals    int NOT NULL CHECK (decimals BETWEEN 0 AND 6),
    aggregation text NOT NULL
                CHECK (aggregation IN ('sum', 'mean', 'population_weighted_mean', 'max', 'none')),
    better      text NOT NULL CHECK (better IN ('higher', 'lower', 'neutral')),
    standard    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value),
    CHECK (value_type <> 'integer' OR decimals = 0)
);
CREATE INDEX indicators_domain ON indicators (domain_code, code);

-- Whether an indicator has values: PutIndicator refuses to change the
-- frequency or the domain of one that has (FAILED_PRECONDITION). The values
-- live in a later migration, which replaces this function (CREATE OR
-- REPLACE) with the real test; until then no indicator has values.
CREATE FUNCTION rci_indicator_has_values(p_code text) RETURNS boolean
    LANGUAGE sql STABLE AS $$ SELECT false $$;

INSERT INTO indicators (code, name_zh, name_en, unit, domain_code, frequency, value_type,
                        min_value, max_value, decimals, aggregation, better, standard) VALUES
-- ---- environment: air ------------------------------------------------------
-- Monthly city figures as the environment bureaus publish and rank them.
-- Concentrations are rounded as HJ 663-2013 rounds them (integers, CO one
-- decimal); the upper bounds are the top IAQI breakpoints of HJ 633 (24-hour
-- values; O3 8-hour), which no monthly mean reaches.
-- seed 000: Huizhou 3rd of 74 cities, 96.7 % good days in 2016; seed 003:
-- ≥ 96 % good days; seed 004: ≥ 80 % good days, monthly ranking.
('air.good_days_rate', '空气质量优良天数比例', 'Share of days with good or moderate air quality',
 '%', 'environment', 'monthly', 'percent', 0, 100, 1, 'mean', 'higher',
 'HJ 633-2012 / HJ 633-2026; HJ 663-2013'),
-- seed 003: PM2.5 ≤ 29 µg/m³; seed 004: PM2.5 down 3 % on 2015; seed 001:
-- joint PM2.5 and ozone control.
('air.pm25_mean', '细颗粒物（PM2.5）月均浓度', 'PM2.5 monthly mean concentration',
 'µg/m³', 'environment', 'monthly', 'decimal', 0, 500, 0, 'mean', 'lower',
 'GB 3095-2012; HJ 663-2013'),
('air.pm10_mean', '可吸入颗粒物（PM10）月均浓度', 'PM10 monthly mean concentration',
 'µg/m³', 'environment', 'monthly', 'decimal', 0, 600, 0, 'mean', 'lower',
 'GB 3095-2012; HJ 663-2013'),
-- seed 001: ozone joint prevention and control.
('air.o3_8h_p90', '臭氧日最大8小时滑动平均第90百分位数', 'O3 daily maximum 8-hour mean, 90th percentile',
 'µg/m³', 'environment', 'monthly', 'decimal', 0, 800, 0, 'mean', 'lower',
 'GB 3095-2012; HJ 663-2013'),
('air.no2_mean', '二氧化氮（NO2）月均浓度', 'NO2 monthly mean concentration',
 'µg/m³', 'environment', 'monthly', 'decimal', 0, 940, 0, 'mean', 'lower',
 'GB 3095-2012; HJ 663-2013'),
('air.so2_mean', '二氧化硫（SO2）月均浓度', 'SO2 monthly mean concentration',
 'µg/m³', 'environment', 'monthly', 'decimal', 0, 1600, 0, 'mean', 'lower',
 'GB 3095-2012; HJ 663-2013'),
('air.co_p95', '一氧化碳日均值第95百分位数', 'CO daily mean, 95th percentile',
 'mg/m³', 'environment', 'monthly', 'decimal', 0, 60, 1, 'mean', 'lower',
 'GB 3095-2012; HJ 663-2013'),
-- seed 004: each area's monthly composite index published and ranked.
('air.composite_index', '环境空气质量综合指数', 'Ambient air quality composite index',
 '', 'environment', 'monthly', 'decimal', 0, 50, 2, 'mean', 'lower',
 'HJ 663-2013; 城市环境空气质量排名技术规定 (GB 3095-2012 Grade II divisors)'),
-- seed 002: regional heavy-pollution-weather monitoring and early warning.
('air.heavy_pollution_days', '重污染天数', 'Days of heavy or severe pollution',
 '天', 'environment', 'monthly', 'integer', 0, 31, 0, 'sum', 'lower',
 'HJ 633-2012 / HJ 633-2026 (AQI > 200)'),
-- ---- environment: water ----------------------------------------------------
-- seed 001: monthly joint monitoring of the cross-boundary sections 莲花山,
-- 大墩, 石龙北河, 东岸, 企坪, 共和村; seed 003: 15 city-assessed sections.
('water.section_compliance_rate', '跨界断面水质达标率', 'Cross-boundary river sections meeting their target class',
 '%', 'environment', 'monthly', 'percent', 0, 100, 1, 'mean', 'higher',
 'GB 3838-2002'),
-- seed 001: full GB 3838-2002 analysis (109 items) of the city drinking-water
-- sources twice a year.
('water.drinking_source_compliance_rate', '集中式饮用水水源地水质达标率', 'Centralised drinking-water sources meeting the standard',
 '%', 'environment', 'half_yearly', 'percent', 0, 100, 1, 'mean', 'higher',
 'GB 3838-2002 (109 items)'),
-- seed 002: PRD urban sewage treatment ≥ 90 % in 2015; seed 004: Zhaoqing 87 %.
-- Weighted by population: it is a share of the people served.
('water.urban_sewage_treatment_rate', '城镇污水处理率', 'Urban sewage treatment rate',
 '%', 'environment', 'yearly', 'percent', 0, 100, 1, 'population_weighted_mean', 'higher',
 ''),
-- ---- transit ----------------------------------------------------------------
-- seed 000: 22 cross-city bus lines in the circle (19 Huizhou–Shenzhen, 3
-- Huizhou–Dongguan). A line between two cities counts in each of them.
('transit.cross_city_bus_lines', '跨市公交线路开通数', 'Cross-city bus lines in service',
 '条', 'transit', 'monthly', 'integer', 0, NULL, 0, 'sum', 'higher',
 '深莞惠交通运输一体化规划'),
-- seed 000: 34 express road channels to open (10 to Shenzhen, 9 Dongguan,
-- 9 Heyuan, 6 Shanwei). The plan's 34 is a target, not a bound.
('transit.express_channels_opened', '市际快速通道打通数', 'Intercity express road channels opened',
 '条', 'transit', 'quarterly', 'integer', 0, NULL, 0, 'sum', 'higher',
 '惠府办函〔2017〕100号 (34 planned)'),
-- seed 000: 21 border roads built jointly with Shenzhen and Dongguan, 11 done.
('transit.border_roads_completed', '跨界对接道路建成数', 'Cross-boundary connecting roads completed',
 '项', 'transit', 'quarterly', 'integer', 0, NULL, 0, 'sum', 'higher',
 '惠府办函〔2017〕100号 (21 planned)'),
-- seed 000: Dongguan–Huizhou intercity rail open since 2016-03-30; seed 002:
-- intercity rail and smart-card interoperability.
('transit.intercity_rail_ridership', '城际轨道客运量', 'Intercity rail ridership',
 '万人次', 'transit', 'monthly', 'decimal', 0, NULL, 2, 'sum', 'higher', ''),
('transit.cross_city_bus_ridership', '跨市公交客运量', 'Cross-city bus ridership',
 '万人次', 'transit', 'monthly', 'decimal', 0, NULL, 2, 'sum', 'higher', ''),
-- seed 003: ≥ 80 % of buses electric.
('transit.bus_electrification_rate', '公交车电动化比例', 'Share of buses that are electric',
 '%', 'transit', 'yearly', 'percent', 0, 100, 1, 'mean', 'higher', ''),
-- ---- credit -----------------------------------------------------------------
-- seeds 000 and 001: credit information sharing among the five cities,
-- joint reward and punishment, "dishonest in one place, restricted
-- everywhere". Counts of the month.
('credit.records_shared', '共享信用信息条数', 'Credit records shared with the other cities',
 '条', 'credit', 'monthly', 'integer', 0, NULL, 0, 'sum', 'higher', 'GB 32100-2015'),
('credit.joint_punishment_cases', '失信联合惩戒案例数', 'Joint punishment cases for dishonesty',
 '件', 'credit', 'monthly', 'integer', 0, NULL, 0, 'sum', 'neutral', 'GB 32100-2015'),
('credit.redlist_entries', '新增守信红名单主体数', 'Subjects added to the red list',
 '个', 'credit', 'monthly', 'integer', 0, NULL, 0, 'sum', 'higher', 'GB 32100-2015'),
('credit.dishonest_subjects_listed', '新增失信主体数', 'Subjects newly listed as dishonest',
 '个', 'credit', 'monthly', 'integer', 0, NULL, 0, 'sum', 'neutral', 'GB 32100-2015'),
-- ---- tasks ------------------------------------------------------------------
-- seed 000: "monthly monitoring, quarterly bulletin" of key tasks; seed 003:
-- 226 tasks, node deadlines, monthly reports, traffic lights (green on time,
-- yellow late, red after two yellows in a row).
('tasks.on_schedule_rate', '重点任务按期推进率', 'Key tasks on schedule',
 '%', 'tasks', 'monthly', 'percent', 0, 100, 1, 'mean', 'higher', ''),
('tasks.green_lights', '亮绿灯任务数', 'Tasks with a green light',
 '项', 'tasks', 'monthly', 'integer', 0, NULL, 0, 'sum', 'higher', '河府〔2020〕45号'),
('tasks.yellow_lights', '亮黄灯任务数', 'Tasks with a yellow light',
 '项', 'tasks', 'monthly', 'integer', 0, NULL, 0, 'sum', 'lower', '河府〔2020〕45号'),
('tasks.red_lights', '亮红灯任务数', 'Tasks with a red light',
 '项', 'tasks', 'monthly', 'integer', 0, NULL, 0, 'sum', 'lower', '河府〔2020〕45号'),
-- seed 001: cooperation items reported to the development and reform
-- bureau by the end of June and of December.
('tasks.cooperation_items_completion_rate', '区域合作事项完成率', 'Regional cooperation items completed',
 '%', 'tasks', 'half_yearly', 'percent', 0, 100, 1, 'mean', 'higher', ''),
-- ---- economy ----------------------------------------------------------------
-- Quarterly and monthly figures are year-to-date (累计), as the statistics
-- bureaus publish them; growth is year on year at comparable prices. A
-- circle's growth cannot be a mean of its members' rates: 'none'.
-- seed 003: GDP +6.0–6.5 %, industry above designated size +7 %, fixed
-- assets +12 %, retail +8 %, disposable income +6.8 %, CPI within 3.5 %,
-- registered urban unemployment within 3 %.
('econ.gdp', '地区生产总值', 'Gross domestic product',
 '亿元', 'economy', 'quarterly', 'decimal', 0, NULL, 2, 'sum', 'higher', ''),
('econ.gdp_growth', '地区生产总值增速', 'GDP growth',
 '%', 'economy', 'quarterly', 'percent', -50, 50, 1, 'none', 'higher', ''),
('econ.industrial_va_growth', '规模以上工业增加值增速', 'Growth of value added of industry above designated size',
 '%', 'economy', 'monthly', 'percent', -100, 500, 1, 'none', 'higher', ''),
('econ.fixed_asset_investment_growth', '固定资产投资增速', 'Fixed-asset investment growth',
 '%', 'economy', 'monthly', 'percent', -100, 500, 1, 'none', 'higher', ''),
('econ.retail_sales_growth', '社会消费品零售总额增速', 'Growth of retail sales of consumer goods',
 '%', 'economy', 'monthly', 'percent', -100, 500, 1, 'none', 'higher', ''),
('econ.disposable_income_growth', '居民人均可支配收入增速', 'Growth of per-capita disposable income',
 '%', 'economy', 'quarterly', 'percent', -50, 100, 1, 'none', 'higher', ''),
('econ.cpi_change', '居民消费价格涨幅', 'Consumer price index change',
 '%', 'economy', 'monthly', 'percent', -20, 50, 1, 'none', 'neutral', ''),
('econ.unemployment_rate', '城镇登记失业率', 'Registered urban unemployment rate',
 '%', 'economy', 'quarterly', 'percent', 0, 100, 2, 'none', 'lower', ''),
-- seed 002: "a statistics mechanism for population, economy and environment
-- by city cluster". The weights of circle means are the populations table.
('econ.resident_population', '年末常住人口', 'Year-end resident population',
 '万人', 'economy', 'yearly', 'decimal', 0, NULL, 2, 'sum', 'neutral', ''),
-- seed 000: 65 projects transferred from the PRD in 2016; seed 003: ≥ 50
-- transferred projects of ≥ 100 million yuan.
('econ.transferred_projects', '承接产业转移项目数', 'Industrial transfer projects received',
 '个', 'economy', 'quarterly', 'integer', 0, NULL, 0, 'sum', 'higher', ''),
-- ---- innovation -------------------------------------------------------------
-- seed 004: R&D spending 1.3 % of GDP, 24 new high-tech enterprises,
-- high-tech products 30.3 % of industrial output, 17 % of industrial
-- enterprises with an R&D institution; seed 003: 30 % of them.
('innov.rd_spending_share', '研究与试验发展经费支出占地区生产总值比重', 'R&D spending as a share of GDP',
 '%', 'innovation', 'yearly', 'percent', 0, 20, 2, 'none', 'higher', ''),
('innov.high_tech_enterprises', '高新技术企业数', 'High-tech enterprises',
 '家', 'innovation', 'yearly', 'integer', 0, NULL, 0, 'sum', 'higher', ''),
('innov.high_tech_output_share', '高新技术产品产值占规模以上工业总产值比重', 'High-tech products as a share of industrial output',
 '%', 'innovation', 'yearly', 'percent', 0, 100, 1, 'none', 'higher', ''),
('innov.enterprise_rd_coverage', '规模以上工业企业设立研发机构比例', 'Industrial enterprises above designated size with an R&D institution',
 '%', 'innovation', 'yearly', 'percent', 0, 100, 1, 'none', 'higher', '');

-- Resident population (常住人口), persons, per region and year: the weights
-- of population-weighted circle means. Source:
-- shared/reference/calendar-population-sections.md §2.
CREATE TABLE populations (
    region_code text NOT NULL REFERENCES regions (code),
    year        int NOT NULL CHECK (year BETWEEN 1900 AND 2999),
    population  bigint NOT NULL CHECK (population > 0),
    PRIMARY KEY (region_code, year)
);

-- §2.1: the Seventh National Census, 2020-11-01 (preliminary bulletin
-- figures). The only complete, verified column: 15 cities sum to 95,335,753.
-- Shenzhen includes the 深汕特别合作区 (inside Shanwei's territory; Shanwei's
-- figure excludes it). Shanwei is UNCONFIRMED (from the closure check only),
-- Shaoguan and Qingyuan single-sourced.
INSERT INTO populations (region_code, year, population) VALUES
    ('440000', 2020, 126012510),
    ('440100', 2020, 18676605),
    ('440200', 2020, 2855131),
    ('440300', 2020, 17560061),
    ('440400', 2020, 2439585),
    ('440600', 2020, 9498863),
    ('440700', 2020, 4798090),
    ('441200', 2020, 4113594),
    ('441300', 2020, 6042852),
    ('441500', 2020, 2672819),
    ('441600', 2020, 2837686),
    ('441700', 2020, 2602959),
    ('441800', 2020, 3969473),
    ('441900', 2020, 10466625),
    ('442000', 2020, 4418060),
    ('445300', 2020, 2383350);

-- §2.2: year-end resident population after the census (万人 × 10,000), each
-- from one city bulletin as reproduced; "derived" ones come from a published
-- change on the year before or after. The 2016–2019 figures published before
-- the census are another vintage (since revised to the census) and are left
-- out: one weighted mean must not mix vintages. Years a city lacks here are
-- for the aggregation to fill (e.g. with the nearest year it has).
INSERT INTO populations (region_code, year, population) VALUES
    ('440100', 2021, 18810600), ('440100', 2022, 18734100) /* derived */, ('440100', 2023, 18827000),
    ('440300', 2021, 17681600), ('440300', 2022, 17661800),
    ('440400', 2021, 2466700),  ('440400', 2023, 2494100),
    ('440400', 2024, 2518500) /* includes the 横琴 cooperation zone */,
    ('440600', 2021, 9612600),  ('440600', 2022, 9552300) /* derived */,
    ('440700', 2021, 4835100),  ('440700', 2022, 4822200),  ('440700', 2023, 4822400),
    ('441200', 2022, 4128400),  ('441200', 2023, 4131700),
    ('441300', 2021, 6066000),  ('441300', 2022, 6050200) /* derived */, ('441300', 2023, 6073400),
    ('441900', 2021, 10536800),
    ('442000', 2021, 4466900),  ('442000', 2022, 4431100),  ('442000', 2023, 4458200),
    ('441800', 2022, 3985700),  ('441800', 2023, 3986700),
    ('441600', 2021, 2840900),
    ('441700', 2021, 2620700),
    ('445300', 2021, 2393300),  ('445300', 2022, 2396500),  ('445300', 2023, 2396600),
    ('440200', 2024, 2857700);
