-- 0001_regions: the regions that share indicators.
--
-- Administrative regions are identified by their GB/T 2260 codes (the
-- province 440000, cities 4401xx–4453xx; see reference credit-code.md §6).
-- Circles are cooperation groups outside GB/T 2260 with short ASCII slugs
-- (DESIGN §6). The circles are the three "new metropolitan areas" of the
-- 2014 provincial work points (seed 002): 广佛肇+清远、云浮, 深莞惠+汕尾、河源,
-- 珠中江+阳江.

CREATE TABLE regions (
    code        text PRIMARY KEY
                CHECK (code ~ '^[0-9]{6}$' OR code ~ '^[a-z][a-z0-9_]{1,31}$'),
    kind        text NOT NULL CHECK (kind IN ('province', 'circle', 'city', 'district')),
    name_zh     text NOT NULL CHECK (name_zh <> ''),
    name_en     text NOT NULL CHECK (name_en <> ''),
    parent_code text REFERENCES regions (code),
    -- circles carry no GB/T 2260 code and no parent
    CHECK ((kind = 'circle') = (code !~ '^[0-9]{6}$')),
    CHECK (kind <> 'circle' OR parent_code IS NULL)
);

CREATE TABLE circle_members (
    circle_code text NOT NULL REFERENCES regions (code),
    city_code   text NOT NULL REFERENCES regions (code),
    PRIMARY KEY (circle_code, city_code)
);
CREATE INDEX circle_members_city ON circle_members (city_code);

INSERT INTO regions (code, kind, name_zh, name_en, parent_code) VALUES
    ('440000', 'province', '广东省', 'Guangdong', NULL);

-- The nine PRD cities, then the six neighbours named in the issue.
INSERT INTO regions (code, kind, name_zh, name_en, parent_code) VALUES
    ('440100', 'city', '广州市', 'Guangzhou', '440000'),
    ('440300', 'city', '深圳市', 'Shenzhen',  '440000'),
    ('440400', 'city', '珠海市', 'Zhuhai',    '440000'),
    ('440600', 'city', '佛山市', 'Foshan',    '440000'),
    ('440700', 'city', '江门市', 'Jiangmen',  '440000'),
    ('441200', 'city', '肇庆市', 'Zhaoqing',  '440000'),
    ('441300', 'city', '惠州市', 'Huizhou',   '440000'),
    ('441900', 'city', '东莞市', 'Dongguan',  '440000'),
    ('442000', 'city', '中山市', 'Zhongshan', '440000'),
    ('440200', 'city', '韶关市', 'Shaoguan',  '440000'),
    ('441500', 'city', '汕尾市', 'Shanwei',   '440000'),
    ('441600', 'city', '河源市', 'Heyuan',    '440000'),
    ('441700', 'city', '阳江市', 'Yangjiang', '440000'),
    ('441800', 'city', '清远市', 'Qingyuan',  '440000'),
    ('445300', 'city', '云浮市', 'Yunfu',     '440000');

INSERT INTO regions (code, kind, name_zh, name_en, parent_code) VALUES
    ('szdghz', 'circle', '深莞惠+汕尾、河源', 'Shenzhen-Dongguan-Huizhou (+Shanwei, Heyuan)', NULL),
    ('gfz',    'circle', '广佛肇+清远、云浮', 'Guangzhou-Foshan-Zhaoqing (+Qingyuan, Yunfu)', NULL),
    ('zzj',    'circle', '珠中江+阳江',       'Zhuhai-Zhongshan-Jiangmen (+Yangjiang)', NULL);

INSERT INTO circle_members (circle_code, city_code) VALUES
    ('szdghz', '440300'), ('szdghz', '441900'), ('szdghz', '441300'),
    ('szdghz', '441500'), ('szdghz', '441600'),
    ('gfz', '440100'), ('gfz', '440600'), ('gfz', '441200'),
    ('gfz', '441800'), ('gfz', '445300'),
    ('zzj', '440400'), ('zzj', '442000'), ('zzj', '440700'), ('zzj', '441700');
